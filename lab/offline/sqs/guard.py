"""The guard on moto's version: the lab's SQS backend is verified against moto 5.2.5 only.

`MOTO_SOURCE_SHA256` records the sha256 of `inspect.getsource(...)` of every moto function
the subclasses in models.py / responses.py / exceptions.py override, call through
`super()`, or rely on
(the registration path included), as shipped in moto 5.2.5. `changed_moto_functions()`
lists those a moto upgrade changed; `/_lab/health` then reports "degraded" with that list
(unless LAB_ALLOW_UNVERIFIED_MOTO=1), and a conformance test fails, so the lab's fixes
are re-verified before they are trusted on another moto.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import os

log = logging.getLogger("lab.offline.sqs")

MOTO_VERIFIED = "5.2.5"
ALLOW_UNVERIFIED_ENV = "LAB_ALLOW_UNVERIFIED_MOTO"


def _sqs():
    from moto.sqs import models

    return models


def _responses():
    from moto.sqs import responses

    return responses


def _exceptions():
    from moto.sqs import exceptions

    return exceptions


def _core():
    from moto.core import base_backend

    return base_backend


def _core_responses():
    from moto.core import responses

    return responses


# What the lab overrides, calls through super() or relies on, by moto object.
_SOURCES = {
    "Queue.messages": lambda: _sqs().Queue.messages.fget,
    "Queue.approximate_number_of_messages":
        lambda: _sqs().Queue.approximate_number_of_messages.fget,
    "Queue.approximate_number_of_messages_not_visible":
        lambda: _sqs().Queue.approximate_number_of_messages_not_visible.fget,
    "Queue.approximate_number_of_messages_delayed":
        lambda: _sqs().Queue.approximate_number_of_messages_delayed.fget,
    "Queue.add_message": lambda: _sqs().Queue.add_message,
    "Queue.delete_message": lambda: _sqs().Queue.delete_message,
    "Queue.wait_for_messages": lambda: _sqs().Queue.wait_for_messages,
    "Queue._set_attributes": lambda: _sqs().Queue._set_attributes,
    "Queue.attributes": lambda: _sqs().Queue.attributes.fget,
    "Queue.__init__": lambda: _sqs().Queue.__init__,
    "Message.__init__": lambda: _sqs().Message.__init__,
    "Message.mark_received": lambda: _sqs().Message.mark_received,
    "SQSBackend.create_queue": lambda: _sqs().SQSBackend.create_queue,
    "SQSBackend.receive_message": lambda: _sqs().SQSBackend.receive_message,
    "SQSBackend.delete_message": lambda: _sqs().SQSBackend.delete_message,
    "SQSBackend.change_message_visibility":
        lambda: _sqs().SQSBackend.change_message_visibility,
    "SQSBackend.change_message_visibility_batch":
        lambda: _sqs().SQSBackend.change_message_visibility_batch,
    "SQSBackend.delete_message_batch": lambda: _sqs().SQSBackend.delete_message_batch,
    "SQSBackend.purge_queue": lambda: _sqs().SQSBackend.purge_queue,
    "SQSBackend._validate_message": lambda: _sqs().SQSBackend._validate_message,
    "SQSBackend.send_message": lambda: _sqs().SQSBackend.send_message,
    "SQSBackend.send_message_batch": lambda: _sqs().SQSBackend.send_message_batch,
    "SQSBackend.get_queue_attributes": lambda: _sqs().SQSBackend.get_queue_attributes,
    "SQSResponse.call_action": lambda: _responses().SQSResponse.call_action,
    "SQSResponse.send_message": lambda: _responses().SQSResponse.send_message,
    "SQSResponse.send_message_batch": lambda: _responses().SQSResponse.send_message_batch,
    "SQSResponse.receive_message": lambda: _responses().SQSResponse.receive_message,
    "SQSResponse.list_queue_tags": lambda: _responses().SQSResponse.list_queue_tags,
    "ReceiptHandleIsInvalid": lambda: _exceptions().ReceiptHandleIsInvalid,
    "EmptyBatchRequest": lambda: _exceptions().EmptyBatchRequest,
    # the serialisation: moto's, with the lab's service model (protocol.py)
    "BaseResponse.serialized": lambda: _core_responses().BaseResponse.serialized,
    "moto.core.loaders.create_loader":
        lambda: __import__("moto.core.loaders", fromlist=["create_loader"]).create_loader,
    # the registration: BackendDict builds region backends from its `backend` class, and
    # moto's server finds a backend's routes in the urls module beside its class
    "BackendDict._create_account_specific_backend":
        lambda: _core().BackendDict._create_account_specific_backend,
    "AccountSpecificBackend.__getitem__": lambda: _core().AccountSpecificBackend.__getitem__,
    "BaseBackend._url_module": lambda: _core().BaseBackend._url_module.fget,
    "moto.sqs.urls": lambda: __import__("moto.sqs.urls", fromlist=["url_paths"]),
}

MOTO_SOURCE_SHA256: dict[str, str] = {
    "Queue.messages": "03a531dbcbcf9aee2e61c7254c08946a499f5c57f2447a8f2e534aa85b067dea",
    "Queue.approximate_number_of_messages": "d357a9506a56d2f8f9f364aa1e0a4739182106db6dbcede0e0699c00d1406eec",
    "Queue.approximate_number_of_messages_not_visible": "5dbecc4dda174358d2aefa96e4b769def47fd6bb2c315241c451e8518c3fabab",
    "Queue.approximate_number_of_messages_delayed": "c3c1dadb0c42ed5f8f5e1fddc8384de67db2df9a4055504f10903bd0b55e8d2f",
    "Queue.add_message": "f27c9231c1f2043382bc1435c4dfbab7b645389df642f050d9dda477f6535c35",
    "Queue.delete_message": "fa6fd5b9bd2cafb4aaacd79da7fc656e513e1513197c2939ff002f9ebfd4be46",
    "Queue.wait_for_messages": "58432562ccf2e13ed8841c825dd2614b6e57b71733d1ce9ba6926d38530ba1f1",
    "Queue._set_attributes": "4b7aaf3f46363f13788975ac5d49c63ee3d85c75538692d12d22f7f71cedc2f2",
    "Queue.attributes": "40cb990b121628d535cecbcd0e0d333984024633b70a097489ae8611e1a59338",
    "Queue.__init__": "0a4781ed5a21a050e0f635ea2ca8774a9aab5312d25a4dc063e0692ca331dd62",
    "Message.__init__": "4ab16d5eb16ec41c7d3907f6d30fedb903a124645f645b5ceda3b0bdcde88ea0",
    "Message.mark_received": "98e7ec115c7fcb9f34b06f42cb88a96ee9b595870bdad0105e25c4d8df462c97",
    "SQSBackend.receive_message": "065f3e5e7d2144089ce3b5d16d9306243ccd2f3ee11b44beb851292fadb7652f",
    "SQSBackend.delete_message": "9eb658afdceb6bd9de79334fb31591bc0aa44bc924c0486516165418bbfff777",
    "SQSBackend.change_message_visibility": "f0e9df5f66627114c9249020675ff5accee62a9cab5e797442538c13ac593b99",
    "SQSBackend.change_message_visibility_batch": "6194b4570c67a1a0ca8c8b323ecdbf4bf851515379a5145c8396ada0d93da963",
    "SQSBackend.delete_message_batch": "53c0bc5d5f51468ad2e6311da0417ec613b5da28d33337c66a3f1f51d99147b2",
    "SQSBackend.purge_queue": "443ea1ae7b15230caa656fd9915e50d18868a7efc9d37c4da9a0e999c725766a",
    "SQSBackend._validate_message": "39cb57c19e596164bc306395ca3697adeea6deaa48a3277831ce6aaa99816e3a",
    "SQSBackend.send_message": "bf161af09a9e6b860e3dd5d8f58ccc802623caa86883fab9b2ffb333f8f70330",
    "SQSBackend.send_message_batch": "0707ad219481c867546327a5e0f42421187e1706202c68f9d8e87be597d3417a",
    "SQSBackend.get_queue_attributes": "58417223da457b5a0aac5ccc31b6646ed9b22c3b276a0f0d9fd5f3f13bd797ec",
    "SQSResponse.call_action": "26076963fd17fd1a40be642032b5a8d90f159c19d01b80a5f0b0c839770ee0d6",
    "SQSResponse.send_message": "f486fa48de9f0fc7abaaa99f2aec6ab64279e42a85db568a82faa3acc8f07165",
    "SQSResponse.send_message_batch": "c68cdac5e2afa47dfa9757e5f40965d902b411873fedb25506459eedb7e503e4",
    "SQSResponse.receive_message": "0027050ecd1294f80efb5cd1e2480f46608d3990c963ba5edfdaa9ab079df300",
    "SQSResponse.list_queue_tags": "00d87fc8b7943463a26cf43db7a4754f66596ed5d4328c08a5fe2e0eabd0ad29",
    "ReceiptHandleIsInvalid": "34b28ae6d7ec6fb47b91a1076b5c6eece454a09ac695c2c90ec972af57499efb",
    "EmptyBatchRequest": "d9a1cffddc935905819790e4e152183aef6039b2b403d21b2f68ec450ee1e926",
    "BaseResponse.serialized": "af486a0ef132716231d3a6484c32ae91a54b40fbc1d24fff01c78c813d251110",
    "moto.core.loaders.create_loader": "b94f7ea2b2fa445a7224380bc3916044fc8b5fdd017345fef1a70f21ce485d22",
    "SQSBackend.create_queue": "a7c0bbae0c426c465db54f277af5da5b70f386e86445d6b2909e40b5fc94a38e",
    "BackendDict._create_account_specific_backend": "efcc193ee3ca333752f8d55b94e70a7f2cffd87da07bc1d6140265bf9231f8a6",
    "AccountSpecificBackend.__getitem__": "b10167294fc003765361319e492a3fd3a16583b9d88539bdc69ce36541d725d0",
    "BaseBackend._url_module": "0ca6b9bd8269474e113d2611d29b00875b60414c2c44542cdddff4eec0140b46",
    "moto.sqs.urls": "acc339c8e65603298006b55c0a1c602dabe219c91d698b4f714e66304fbeaa69",
}


def source_sha256(key: str) -> str:
    return hashlib.sha256(inspect.getsource(_SOURCES[key]()).encode()).hexdigest()


def changed_moto_functions() -> list[str]:
    """moto functions the lab's SQS backend depends on whose source differs from 5.2.5's."""
    return [key for key, digest in MOTO_SOURCE_SHA256.items() if source_sha256(key) != digest]


def unverified_allowed() -> bool:
    return os.environ.get(ALLOW_UNVERIFIED_ENV) == "1"


def check() -> tuple[list[str], str | None]:
    """(changed moto functions, the reason to report `/_lab/health` degraded or None).

    A change is a reason unless LAB_ALLOW_UNVERIFIED_MOTO=1 (the lab then runs on the
    unverified moto, and says so in the health report's sqs_fixes.note)."""
    changed = changed_moto_functions()
    if not changed:
        return changed, None
    log.warning("moto's SQS code differs from %s in %s: the lab's SQS backend needs "
                "re-verifying", MOTO_VERIFIED, ", ".join(changed))
    if unverified_allowed():
        return changed, None
    return changed, (f"moto's source changed since {MOTO_VERIFIED} in: {', '.join(changed)}; "
                     "re-verify lab/offline/sqs (or set "
                     f"{ALLOW_UNVERIFIED_ENV}=1 to run on it anyway)")
