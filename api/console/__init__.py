"""The web console: server-rendered pages for stewards, clerks, analysts and auditors.

The console is a client of the exchange API running in the same process: every page reads
and writes through the `/v1` routes with the signed-in user's own token (`client.py`), so it
adds no data path, no authorisation and no audit logic of its own. Pages are plain HTML
forms rendered by Jinja2, with every asset served by the app itself (government networks are
often closed to CDNs), and work without JavaScript.
"""

from api.console.app import install

__all__ = ["install"]
