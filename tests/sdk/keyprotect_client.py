"""Drives Keyblade's Key Protect API with the unmodified `keyprotect` SDK (PyPI 3.0.1).

Run by tests/tests/sdk_keyprotect.rs, which starts the server, creates the API keys and puts an
order on the key named by KP_ORDER_KEY. Exits non-zero on the first broken expectation.
"""

import base64
import io
import json
import os

from ibm_cloud_sdk_core import ApiException
from ibm_cloud_sdk_core.authenticators import IAMAuthenticator
from keyprotect.ibm_key_protect_api_v2 import IbmKeyProtectApiV2

URL = os.environ["KP_URL"]
INSTANCE = os.environ["KP_INSTANCE"]


def client(apikey):
    kp = IbmKeyProtectApiV2(authenticator=IAMAuthenticator(apikey, url=URL))
    kp.set_service_url(URL)
    return kp


def result(response):
    """The JSON of an answer: Key Protect media types reach the caller as a raw response."""
    body = response.get_result()
    return body if body is None or isinstance(body, (dict, list)) else body.json()


def body(document):
    return io.BytesIO(json.dumps(document).encode("utf-8"))


def key_body(**resource):
    resource.setdefault("type", "application/vnd.ibm.kms.key+json")
    resource.setdefault("extractable", False)
    return body({"metadata": {"collectionType": "application/vnd.ibm.kms.key+json", "collectionTotal": 1},
                 "resources": [resource]})


def refused(call, status, code):
    try:
        call()
    except ApiException as error:
        assert error.status_code == status, (error.status_code, error.http_response.text)
        reasons = error.http_response.json()["resources"][0]["reasons"]
        assert reasons[0]["code"] == code, reasons
        return
    raise AssertionError(f"expected a {status} {code}")


def b64(data):
    return base64.b64encode(data).decode()


kp = client(os.environ["KP_APIKEY"])

# Create a root key Keyblade generates, and import one.
created = kp.create_key(bluemix_instance=INSTANCE, key_create_body=key_body(name="sdk-root"))
assert created.get_status_code() == 201
root = result(created)["resources"][0]
assert root["extractable"] is False and root["imported"] is False and root["state"] == 1, root
imported_material = os.urandom(32)
imported = result(kp.create_key(bluemix_instance=INSTANCE,
                                key_create_body=key_body(name="sdk-imported", payload=b64(imported_material))))
imported = imported["resources"][0]
assert imported["imported"] is True and "payload" not in imported, imported

# Get and list.
assert result(kp.get_key(id=root["id"], bluemix_instance=INSTANCE))["resources"][0]["name"] == "sdk-root"
listed = result(kp.get_keys(bluemix_instance=INSTANCE, limit=200, offset=0))
assert {"sdk-root", "sdk-imported"} <= {k["name"] for k in listed["resources"]}, listed

# Wrap a data key, rotate, and unwrap the old ciphertext: plaintext plus the rewrapped one.
dek = os.urandom(32)
wrapped = result(kp.wrap_key(id=root["id"], bluemix_instance=INSTANCE,
                             key_action_wrap_body=body({"plaintext": b64(dek)})))
first_version = wrapped["keyVersion"]["id"]
generated = result(kp.wrap_key(id=root["id"], bluemix_instance=INSTANCE))
assert base64.b64decode(generated["plaintext"]) and generated["ciphertext"], generated

assert kp.rotate_key(id=root["id"], bluemix_instance=INSTANCE).get_status_code() == 204
refused(lambda: kp.rotate_key(id=root["id"], bluemix_instance=INSTANCE), 409, "KeyRotationNotPermitted")
rotated = result(kp.get_key(id=root["id"], bluemix_instance=INSTANCE))["resources"][0]
assert rotated["id"] == root["id"] and rotated["name"] == "sdk-root" and "lastRotateDate" in rotated, rotated

versions = result(kp.get_key_versions(id=root["id"], bluemix_instance=INSTANCE))["resources"]
assert len(versions) == 2 and versions[1]["id"] == first_version, versions
current_version = versions[0]["id"]

unwrapped = result(kp.unwrap_key(id=root["id"], bluemix_instance=INSTANCE,
                                 key_action_unwrap_body=body({"ciphertext": wrapped["ciphertext"]})))
assert base64.b64decode(unwrapped["plaintext"]) == dek
assert unwrapped["keyVersion"]["id"] == first_version, unwrapped
assert unwrapped["rewrappedKeyVersion"]["id"] == current_version, unwrapped
again = result(kp.unwrap_key(id=root["id"], bluemix_instance=INSTANCE,
                             key_action_unwrap_body=body({"ciphertext": unwrapped["ciphertext"]})))
assert base64.b64decode(again["plaintext"]) == dek and again["keyVersion"]["id"] == current_version

# An imported key rotates only with new material of its own.
refused(lambda: kp.rotate_key(id=imported["id"], bluemix_instance=INSTANCE), 422, "KeyMaterialRequiredForRotation")
assert kp.rotate_key(id=imported["id"], bluemix_instance=INSTANCE,
                     key_action_rotate_body=body({"payload": b64(os.urandom(32))})).get_status_code() == 204


def policy(months):
    return {"metadata": {"collectionType": "application/vnd.ibm.kms.policy+json", "collectionTotal": 1},
            "resources": [{"type": "application/vnd.ibm.kms.policy+json",
                           "rotation": {"enabled": True, "interval_month": months}}]}


# The rotation policy.
kp.put_policy(id=root["id"], bluemix_instance=INSTANCE, key_policy_put_body=policy(3), policy="rotation")
got = result(kp.get_policy(id=root["id"], bluemix_instance=INSTANCE, policy="rotation"))
assert got["resources"][0]["rotation"]["interval_month"] == 3, got
off = policy(3)
del off["resources"][0]["rotation"]["interval_month"]
off["resources"][0]["rotation"]["enabled"] = False
kp.put_policy(id=root["id"], bluemix_instance=INSTANCE, key_policy_put_body=off, policy="rotation")
got = result(kp.get_policy(id=root["id"], bluemix_instance=INSTANCE, policy="rotation"))
assert got["resources"][0]["rotation"] == {"enabled": False, "interval_month": 3}, got
refused(lambda: kp.put_policy(id=root["id"], bluemix_instance=INSTANCE, key_policy_put_body=policy(13),
                              policy="rotation"), 400, "InvalidRotationInterval")
refused(lambda: kp.put_policy(id=imported["id"], bluemix_instance=INSTANCE, key_policy_put_body=policy(1),
                              policy="rotation"), 409, "RotationPolicyNotAllowedForImportedKey")

# Registrations: the order protected by the customer key, then rotating that key.
order_key = os.environ["KP_ORDER_KEY"]
registrations = result(kp.get_registrations(id=order_key, bluemix_instance=INSTANCE))["resources"]
assert any(r["resourceCrn"].endswith(":order:" + os.environ["KP_ORDER"]) for r in registrations), registrations
assert kp.rotate_key(id=order_key, bluemix_instance=INSTANCE).get_status_code() == 204
everything = result(kp.get_registrations_all_keys(bluemix_instance=INSTANCE))["resources"]
assert len(everything) >= 1, everything

# Disable and enable.
assert kp.disable_key(id=root["id"], bluemix_instance=INSTANCE).get_status_code() == 204
refused(lambda: kp.wrap_key(id=root["id"], bluemix_instance=INSTANCE,
                            key_action_wrap_body=body({"plaintext": b64(dek)})),
        422, "SsemUserErrorEncryptionKeyDisabled")
assert kp.enable_key(id=root["id"], bluemix_instance=INSTANCE).get_status_code() == 204

# Delete and restore; purging is refused while the vault's purge protection lasts.
assert kp.delete_key(id=root["id"], bluemix_instance=INSTANCE).get_status_code() == 204
assert result(kp.get_key(id=root["id"], bluemix_instance=INSTANCE))["resources"][0]["state"] == 5
restored = kp.restore_key(id=root["id"], bluemix_instance=INSTANCE)
assert restored.get_status_code() == 201 and result(restored)["resources"][0]["state"] == 1
kp.delete_key(id=imported["id"], bluemix_instance=INSTANCE)
refused(lambda: kp.purge_key(id=imported["id"], bluemix_instance=INSTANCE), 409, "PurgeProtected")

# A wrong or revoked API key gets no token.
for apikey in ("kb_wrong", os.environ["KP_REVOKED_APIKEY"]):
    try:
        client(apikey).get_keys(bluemix_instance=INSTANCE)
        raise AssertionError("a bad API key was accepted")
    except ApiException as error:
        assert error.status_code == 401, error.status_code

# Separation of duties: a Reader key reads metadata only; a Crypto User key scoped to this
# instance uses keys here and is refused in another instance. Refusals change nothing.
reader = client(os.environ["KP_READER_APIKEY"])
assert result(reader.get_keys(bluemix_instance=INSTANCE))["resources"], "a Reader lists keys"
count = len(result(reader.get_key_versions(id=root["id"], bluemix_instance=INSTANCE))["resources"])
refused(lambda: reader.rotate_key(id=root["id"], bluemix_instance=INSTANCE), 403, "AccessDenied")
refused(lambda: reader.unwrap_key(id=root["id"], bluemix_instance=INSTANCE,
                                  key_action_unwrap_body=body({"ciphertext": wrapped["ciphertext"]})),
        403, "AccessDenied")
after = len(result(kp.get_key_versions(id=root["id"], bluemix_instance=INSTANCE))["resources"])
assert after == count, (count, after)
crypto = client(os.environ["KP_CRYPTO_APIKEY"])
used = result(crypto.unwrap_key(id=root["id"], bluemix_instance=INSTANCE,
                                key_action_unwrap_body=body({"ciphertext": wrapped["ciphertext"]})))
assert base64.b64decode(used["plaintext"]) == dek
refused(lambda: crypto.rotate_key(id=root["id"], bluemix_instance=INSTANCE), 403, "AccessDenied")
OTHER = os.environ["KP_OTHER_INSTANCE"]
refused(lambda: crypto.unwrap_key(id=root["id"], bluemix_instance=OTHER,
                                  key_action_unwrap_body=body({"ciphertext": wrapped["ciphertext"]})),
        403, "AccessDenied")
refused(lambda: crypto.get_keys(bluemix_instance=OTHER), 403, "AccessDenied")

print(json.dumps({"root": root["id"], "versions": len(versions)}))
