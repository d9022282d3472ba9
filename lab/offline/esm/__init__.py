"""SQS -> Lambda event source mappings with Lambda's semantics (a `lab serve` extension).

`install(app)` claims Lambda's `/2015-03-31/event-source-mappings` routes (so moto never
stores a mapping and its in-SendMessage trigger never fires), runs pollers for enabled
mappings, answers Lambda's tagging API on mapping ARNs (tags.py), and adds
`/_lab/esm/stats` and `/_lab/esm/config` (the scaling MODEL's clock).
Offers `app.services["esm"]` (the EsmService).
"""

from __future__ import annotations

from lab.offline.esm.api import EsmApi, matches_api, matches_lab
from lab.offline.esm.scaling import SETTINGS
from lab.offline.esm.service import EsmService
from lab.offline.esm.tags import MappingTags


def install(app) -> EsmService:
    service = EsmService(app.services, app.context.account_id, app.context.default_region)
    tags = MappingTags(service)
    api = EsmApi(service, tags)
    app.add_route("esm-api", matches_api, api.handle)
    app.add_route("esm-tags", tags.matches, tags.handle)
    app.add_route("esm-lab", matches_lab, api.handle_lab)

    def reset() -> None:
        service.reset()
        tags.reset()
        SETTINGS.reset()

    app.on_reset(reset)
    app.on_shutdown(service.stop_all)
    app.services["esm"] = service
    app.services["esm_tags"] = tags
    app.health_info["esm"] = {"sources": ["sqs"], "scaling": "model", **SETTINGS.as_dict()}
    return service
