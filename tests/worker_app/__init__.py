"""Settings and a slow exporter for the tests that run a real Celery worker.

The worker loads `tests.worker_app.settings`: the test settings plus this app, whose exporter
`test-slow` takes a few seconds and names its process in the job's message, so a test can
kill the process that builds the file.
"""
