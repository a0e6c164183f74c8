"""gunicorn's settings for Vigil; `gunicorn 'app:create_app()'` reads this file from the project folder.

The access log leaves query strings and the Referer out: OAuth callbacks carry the authorization `code` and
invitation links the invitation token in their query string, and an access log is kept and shipped widely.
"""

accesslog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(M)sms'
