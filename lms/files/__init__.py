"""Files in and files out: the one way uploads are read and workbooks are written.

``intake`` reads every untrusted upload (workbooks, CSV, images, PDFs) under caps; ``export``
writes every workbook the platform produces, user text always as text; ``template`` declares a
downloadable template's example rows, which ``export`` writes and ``intake`` refuses.

This package sits at the bottom of the layers: it imports the standard library, third-party
packages, ``lms.config``, Flask's ``current_app`` config and flask_babel, and nothing else of
``lms``. Features call it; it never calls them.
"""
