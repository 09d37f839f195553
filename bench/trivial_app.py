"""The baseline of bench/heartbeat.py: the least a Flask app can do with a JSON POST."""

from flask import Flask, request

app = Flask(__name__)


@app.post("/ping")
def ping() -> dict[str, bool]:
    request.get_json()
    return {"ok": True}
