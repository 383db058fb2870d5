"""Rekeys Keyblade's master key with the unmodified solidfire-sdk-python (PyPI 12.3.0.203).

Keyblade serves plain http here, so the SDK's own CurlDispatcher is handed the http:// endpoint
through the `dispatcher=` argument Element() takes; nothing in the SDK is changed. Run by
tests/tests/sdk_element.rs with EL_HOST (host:port), EL_USER, EL_PASSWORD and EL_PROVIDER_ID.
Exits non-zero (an assertion) on the first thing that is not as expected.
"""

import logging
import os
import time
import uuid

import solidfire.common as sfc
from solidfire import Element
from solidfire.common import ApiServerError, CurlDispatcher

sfc.setLogLevel(logging.WARNING)

HOST = os.environ["EL_HOST"]
USER = os.environ["EL_USER"]
PASSWORD = os.environ["EL_PASSWORD"]
PROVIDER_ID = int(os.environ["EL_PROVIDER_ID"])


def client(version, password=PASSWORD):
    endpoint = "http://{}/json-rpc/{}".format(HOST, version)
    dispatcher = CurlDispatcher(endpoint, USER, password, False)
    return Element(HOST, USER, password, version, verify_ssl=False, dispatcher=dispatcher)


def wait(sf, handle):
    """Polls GetAsyncResult (keeping the result) until the rekey completes."""
    deadline = time.time() + 60
    while True:
        result = sf.get_async_result(handle, keep_result=True)
        assert isinstance(result, dict), result
        assert result["resultType"] == "RekeySoftwareEncryptionAtRestMasterKey", result
        if result["status"] == "complete":
            return result
        assert result["status"] == "running", result
        assert result["details"]["state"] in (
            "CreateNewMasterKey", "RewrapDataEncryptionKeys", "DecommissionOldMasterKey"), result
        assert time.time() < deadline, "the rekey did not complete in a minute"
        time.sleep(0.05)


def expect_error(name, call):
    try:
        call()
    except ApiServerError as error:
        assert error.error_name == name, (error.error_name, error.message)
        return error
    raise AssertionError("expected the error " + name)


# The factory's first call goes to /json-rpc/7.0: it must report a version the rekey methods need.
api = client(7.0).get_api()
assert api.current_version == "12.3", api.current_version
assert "12.3" in api.supported_versions, api.supported_versions
sf = client(float(api.current_version))

providers = sf.list_key_providers_kmip().kmip_key_providers
assert [p.key_provider_id for p in providers] == [PROVIDER_ID], providers
assert providers[0].key_provider_is_active is False

info = sf.get_software_encryption_at_rest_info()
assert info.state == "enabled"
assert info.master_key_info.key_management_type == "internal"
first_key = info.master_key_info.key_id
assert isinstance(first_key, uuid.UUID)

# Internal with a provider, and External without one, are refused before anything starts.
expect_error("InvalidKeyManagementParameters", lambda: sf.rekey_software_encryption_at_rest_master_key(
    key_management_type="Internal", key_provider_id=PROVIDER_ID))
expect_error("InvalidKeyManagementParameters", lambda: sf.rekey_software_encryption_at_rest_master_key(
    key_management_type="External"))
expect_error("KeyProviderNotFound", lambda: sf.rekey_software_encryption_at_rest_master_key(
    key_management_type="External", key_provider_id=PROVIDER_ID + 100))

# Internal rekey.
handle = sf.rekey_software_encryption_at_rest_master_key(key_management_type="Internal").async_handle
assert isinstance(handle, int), handle
done = wait(sf, handle)
assert "error" not in done, done
assert done["result"]["state"] == "Ready", done
assert done["result"]["keyToDecommission"]["keyID"] == str(first_key), done
second_key = done["result"]["newKey"]["keyID"]
assert done["result"]["newKey"]["keyManagementType"] == "internal", done
# Read once without keepResult, the result is gone.
sf.get_async_result(handle)
gone = expect_error("xDBNoSuchPath", lambda: sf.get_async_result(handle))
assert gone.error_code == 500

info = sf.get_software_encryption_at_rest_info()
assert str(info.master_key_info.key_id) == second_key
assert info.rekey_master_key_async_result_id == handle

# External rekey through the key provider (another Keyblade's Key Protect API).
handle = sf.rekey_software_encryption_at_rest_master_key(
    key_management_type="External", key_provider_id=PROVIDER_ID).async_handle
done = wait(sf, handle)
assert "error" not in done, done
assert done["result"]["newKey"]["keyManagementType"] == "external", done
assert done["result"]["newKey"]["keyProviderID"] == PROVIDER_ID, done
assert done["result"]["keyToDecommission"]["keyID"] == second_key, done

info = sf.get_software_encryption_at_rest_info()
assert info.master_key_info.key_management_type == "external"
assert info.master_key_info.key_provider_id == PROVIDER_ID
assert sf.list_key_providers_kmip(key_provider_is_active=True).kmip_key_providers[0].key_provider_id == PROVIDER_ID

# Method names are matched whatever their case (NetApp's examples send them lower-case).
lower = sf.send_request("getsoftwareencryptionatrestinfo", dict, {}, since=12.3)
assert lower["masterKeyInfo"]["keyManagementType"] == "external", lower

# A wrong password is refused.
try:
    client(12.3, password="not-the-password").get_software_encryption_at_rest_info()
    raise AssertionError("a wrong password was accepted")
except ApiServerError as error:
    assert error.error_code == 401, error

print("element sdk: ok")
