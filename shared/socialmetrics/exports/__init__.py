"""CSV export jobs: exports too large for one API response, written to S3 by a worker.

``service.py`` decides between a direct CSV body and a job, and runs a job; ``queries.py``
holds the SQL of ``export_jobs``; ``storage.py`` the S3 side (multipart upload, presigned URL).
"""
