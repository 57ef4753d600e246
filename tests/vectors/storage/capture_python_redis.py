"""One-off: captures the Redis records vwo-python-sdk 1.68.2's built-in RedisUserStorage writes
(launch(..., redis_creds={"url": host})), into python_redis_records.json. Needs the oracle's Python
environment and a throwaway redis-server on 127.0.0.1:6379 (the SDK's fixed port). See ../SOURCES.md."""
import json
import sys

import redis
import vwo

settings = {
    "accountId": 123456, "sdkKey": "abcdef0123456789abcdef0123456789", "version": 1,
    "campaigns": [
        {"id": id_, "key": key, "name": key, "status": "RUNNING", "type": "VISUAL_AB",
         "percentTraffic": 100, "isForcedVariationEnabled": False, "segments": {},
         "goals": [{"id": 201, "identifier": "CUSTOM", "type": "CUSTOM_GOAL"}],
         "variations": [{"id": 1, "name": "Control", "weight": 50, "changes": {}},
                        {"id": 2, "name": "Variation-1", "weight": 50, "changes": {}}]}
        for id_, key in ((11, "ab"), (12, "feature"))
    ],
}
r = redis.Redis(host="127.0.0.1", port=6379, db=0)
r.flushdb()
client = vwo.launch(json.dumps(settings), is_development_mode=True, redis_creds={"url": "127.0.0.1"})
users = ["Ashley", "Bill", "Chris", "Dominic", "Emma", "Faizan", "Gimmy", "José", "用户", "a:b"]
activations = []
for key in ("ab", "feature"):
    for u in users:
        activations.append({"campaign": key, "user": u, "variation": client.activate(key, u)})
tracked = []
for u in users[:5]:
    tracked.append({"campaign": "ab", "user": u, "goal": "CUSTOM", "result": client.track("ab", u, "CUSTOM")})
records = [{"key": k.decode("utf-8"), "value": r.get(k).decode("utf-8")} for k in sorted(r.keys("*"))]
json.dump({"settings": settings, "activations": activations, "tracked": tracked, "records": records},
          sys.stdout, indent=1, ensure_ascii=False)
sys.stdout.write("\n")
