"""Attachments: evidence, reports and other documents people upload, kept under the media root.

Each file is read by content through ``lms.files.intake`` before a byte is kept, written under a
name made from a random token (never the uploaded name), and recorded with its SHA-256, size and
modification time. Whether it is still what was uploaded is then told cheaply: ``stat()`` first,
re-hashing only a file whose size or time changed (``services.integrity``). Features decide who
may download an attachment; this package only serves it, as an attachment.
"""
