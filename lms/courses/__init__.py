"""Courses: catalog, videos, upload → probe → transcode, streaming and verified watching.

Built from issue 3 on."""
