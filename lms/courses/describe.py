"""Describe a media file's container and streams as JSON, with PyAV: where ffprobe was used.

Run as a script in a process of its own (``media_tools.DESCRIBE``), never imported by the app:
a crash or a hang in a demuxer then ends this process only, under ``media_tools.run``'s timeout.
It takes the input exactly as ffmpeg does, from ``media_tools.input_args``::

    python -I describe.py -protocol_whitelist file -format_whitelist mov,… [-f mov] -i file:/…

and opens it with those options (libavformat applies the allow-lists itself, to the file and
to anything a demuxer would open from it). Then it reads every packet of the first video
stream (no decoding) and measures the seconds from the earliest to the end of the latest: how
much video is really there, whatever the header says. It prints::

    {"format_name": "mpegts", "duration": 2.02, "measured": 2.0,
     "streams": [{"type": "video", "width": 160, "height": 120, "rotation": 0,
                  "frame_rate": 25.0, "duration": 2.0, "attached_pic": false}, …]}

On failure it exits 1 with libavformat's reason on stderr (e.g. "Format not on whitelist").
Only the standard library and ``av`` are imported here.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any


def parse(argv: list[str]) -> tuple[str, str | None, dict[str, str]]:
    """The input URL, the forced format (``-f``) and the other options before ``-i``."""
    options: dict[str, str] = {}
    index = 0
    while index < len(argv) - 1:
        key, value = argv[index], argv[index + 1]
        if not key.startswith("-"):
            raise SystemExit(f"unexpected argument {key!r}")
        if key == "-i":
            if index + 2 != len(argv):
                raise SystemExit("the input must come last")
            return value, options.pop("f", None), options
        options[key[1:]] = value
        index += 2
    raise SystemExit("no input (-i)")


def describe(url: str, format_name: str | None, options: dict[str, str]) -> dict[str, Any]:
    import av

    with av.open(url, format=format_name, container_options=options) as container:
        streams = []
        for stream in container.streams:
            entry: dict[str, Any] = {
                "type": stream.type,
                "duration": float(stream.duration * stream.time_base)
                if stream.duration is not None and stream.time_base is not None else None,
                "attached_pic": bool(stream.disposition & av.stream.Disposition.attached_pic),
            }
            if isinstance(stream, av.VideoStream):
                rate = stream.average_rate or stream.guessed_rate or stream.base_rate
                entry.update(
                    width=stream.codec_context.width,
                    height=stream.codec_context.height,
                    frame_rate=float(rate) if rate else None,
                    rotation=None,
                )
            streams.append(entry)
        first = next(
            (s for s in container.streams.video
             if not s.disposition & av.stream.Disposition.attached_pic), None
        )
        measured = None
        if first is not None:
            measured, rotation = _read(first, streams[first.index]["frame_rate"], container)
            streams[first.index]["rotation"] = rotation
        duration = container.duration
        return {
            "format_name": container.format.name,
            "duration": duration / av.time_base if duration is not None else None,
            "measured": measured,
            "streams": streams,
        }


def _read(stream: Any, frame_rate: float | None, container: Any) -> tuple[float | None, int]:
    """Seconds from the earliest packet of ``stream`` to the end of its latest (a packet that
    states no duration lasts a frame), by reading every packet; and the display rotation, which
    the decoder puts on each frame from the stream's display matrix (0 if no frame decodes)."""
    frame = min(1 / frame_rate, 1.0) if frame_rate else 0.04
    start = end = None
    rotation: int | None = None
    for packet in container.demux(stream):
        stamp = packet.pts if packet.pts is not None else packet.dts
        if stamp is None or packet.time_base is None:
            continue
        at = float(stamp * packet.time_base)
        length = float(packet.duration * packet.time_base) if packet.duration else frame
        start = at if start is None else min(start, at)
        end = at + length if end is None else max(end, at + length)
        if rotation is None:
            rotation = _rotation(packet)
    measured = None if start is None or end is None else end - start
    return measured, rotation or 0


def _rotation(packet: Any) -> int | None:
    """The rotation of the first frame ``packet`` decodes to; None until one decodes."""
    try:
        for frame in packet.decode():
            return int(round(frame.rotation or 0)) % 360
    except Exception:  # noqa: BLE001 - a packet that does not decode tells no rotation
        return None
    return None


def main(argv: list[str]) -> int:
    logging.basicConfig(stream=sys.stderr, format="%(message)s", level=logging.ERROR)
    import av

    av.logging.set_level(av.logging.ERROR)
    url, format_name, options = parse(argv)
    try:
        described = describe(url, format_name, options)
    except (av.FFmpegError, ValueError, OSError) as error:
        print(f"cannot read: {error}", file=sys.stderr)
        return 1
    print(json.dumps(described))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
