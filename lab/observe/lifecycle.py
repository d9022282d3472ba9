"""Message timelines: the offline endpoint's per-message lifecycle record as a DataFrame.

`lab serve` records every state change of every SQS message (lab/offline/sqs). On AWS no
such record exists: there, timelines come from the handlers' own records (the REPORT and
log lines an experiment collects), so `fetch_lifecycle` refuses the aws target.

Columns of the DataFrame (one row per event, in time order):
- `time` (datetime64[ns, UTC]) and `time_ms` (float, epoch milliseconds): when it happened.
  For `visible_again` and `delay_ended` this is the instant the message became visible,
  even if the endpoint noticed it later.
- `t_s` (float, seconds): time since the first event in the frame.
- `event`: sent, duplicate_suppressed, delay_ended, received, visibility_changed,
  visible_again, deleted, moved_to_dlq, arrived_from_source, moved_out, moved_in,
  expired, purged.
- `queue` (name), `queue_arn`, `message_id`, `group_id` (FIFO), `dedup_id`,
  `sequence_number`, `sender_id`.
- `receive_count` (int, the attempt number: ApproximateReceiveCount after the receive).
- `receiver` (who received: an event source mapping's poller label, or `http:<caller>`).
- `visibility_timeout_s` (int, seconds, the timeout in force from this receive or change)
  and `visible_at_ms` (float, epoch ms, when the message becomes visible again).
- annotations other extensions add, e.g. `invocation_request_id`, `esm_uuid`, `poller`.
- `dlq_arn`, `from_queue_arn`, `destination_arn`, `new_message_id`,
  `original_message_id`, `task_handle` for DLQ moves and message move tasks.
Missing values are NaN/None.
"""

from __future__ import annotations

import pandas as pd

from lab.targets.base import OfflineOnlyError

BASE_COLUMNS = ["time", "t_s", "time_ms", "event", "queue", "message_id", "group_id",
                "receive_count", "receiver", "visibility_timeout_s", "visible_at_ms"]


class LifecycleUnavailable(OfflineOnlyError):
    """The target keeps no per-message lifecycle record (AWS)."""


def fetch_lifecycle(target, queue_url: str, message_id: str | None = None) -> pd.DataFrame:
    """Every lifecycle event of the queue (URL, ARN or name), one row per event."""
    if not getattr(target, "is_offline", False):
        raise LifecycleUnavailable(
            "per-message lifecycle records exist only offline (lab serve records them); on "
            "the aws target, build timelines from the handlers' own records (log lines and "
            "REPORT lines the experiment collects)")
    return lifecycle_frame(target.lab.sqs_lifecycle(queue_url, message_id))


def lifecycle_frame(events: list[dict]) -> pd.DataFrame:
    """The DataFrame for a list of event dicts (as `GET /_lab/sqs/lifecycle` returns)."""
    frame = pd.DataFrame(events)
    for column in BASE_COLUMNS:
        if column not in frame.columns:
            frame[column] = pd.Series(dtype="float64" if column.endswith(("_ms", "_s"))
                                      else "object")
    if len(frame):
        frame = frame.sort_values("time_ms", kind="stable").reset_index(drop=True)
        frame["time"] = pd.to_datetime(frame["time_ms"], unit="ms", utc=True)
        frame["t_s"] = (frame["time_ms"] - frame["time_ms"].iloc[0]) / 1000.0
        frame["receive_count"] = frame["receive_count"].astype("Int64")
    else:
        frame["time"] = pd.Series(dtype="datetime64[ns, UTC]")
    rest = [c for c in frame.columns if c not in BASE_COLUMNS]
    return frame[BASE_COLUMNS + rest]
