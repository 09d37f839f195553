"""Files in and files out: the one way uploads are read and workbooks are written.

``intake`` reads every untrusted upload (workbooks, CSV, images, PDFs) under caps; ``export``
writes every workbook the platform produces, user text always as text; ``template`` declares a
downloadable template's example rows, which ``export`` writes and ``intake`` refuses.

Callers import ``intake``; it reads CSV and filters rows itself and leaves the rest to the
modules beside it: ``refusals`` (the ``Refused`` error and the caps), ``archive`` (an .xlsx's
zip and its XML, parsed safely), ``xlsx`` (a worksheet's rows from that XML) and ``documents``
(images and PDFs by content).

This package sits at the bottom of the layers: it imports the standard library, third-party
packages, ``lms.config``, Flask's ``current_app`` config and flask_babel, and nothing else of
``lms``. Features call it; it never calls them.
"""
