"""The event source mappings reach SQS through the lab's backend, looked up when they
poll: the order in which `lab serve` installs its extensions does not matter."""

from __future__ import annotations

from lab.offline.app import EXTENSIONS
from lab.offline.server import LabServer
from lab.targets import OfflineTarget
from tests.fixtures.common import wait_until
from tests.fixtures.esm import create_mapping, deploy, drained, make_queue, send_batch


def test_mappings_deliver_when_esm_is_installed_before_sqs():
    order = list(reversed(EXTENSIONS))
    assert order.index("lab.offline.esm") < order.index("lab.offline.sqs")
    with LabServer(port=0, extensions=order) as server:
        cloud = OfflineTarget(server.url)
        fn = deploy(cloud)
        url, arn, _ = make_queue(cloud, visibility=10)
        create_mapping(cloud, fn, arn, BatchSize=5)
        ids = send_batch(cloud, url, [{"n": i} for i in range(7)])
        wait_until(lambda: len(fn.seen()) >= 7, 60, what="7 records")
        wait_until(lambda: drained(cloud, url), 10, what="queue drained")
        assert sorted(i for i, _ in fn.seen()) == sorted(ids)
        receivers = {e.get("receiver") for e in
                     server.app.services["sqs_lifecycle"].events(queue=arn)
                     if e["event"] == "received"}
        assert receivers and all(r.startswith("esm-") for r in receivers), receivers
