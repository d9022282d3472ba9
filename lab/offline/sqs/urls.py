"""SQS routes for moto's server, as moto/sqs/urls.py with the lab's response class.

moto's werkzeug app takes a backend's routes from the `urls` module beside the module
of the backend's class (`BaseBackend._url_module`: models.py -> urls.py), so
`models.LabSQSBackend` is served through this module.
"""

from moto.sqs.urls import url_bases  # noqa: F401 - the same hosts as moto's

from lab.offline.sqs.responses import LabSQSResponse

dispatch = LabSQSResponse.dispatch

url_paths = {
    "{0}/$": dispatch,
    r"{0}/(?P<account_id>\d+)/(?P<queue_name>[a-zA-Z0-9\-_\.]+)": dispatch,
}
