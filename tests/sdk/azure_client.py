"""Drives Keyblade with the unmodified Azure SDKs: `azure-keyvault-keys` 4.11.3 against two key
vaults' data planes, `azure-mgmt-databox` 4.0.0 against the management API, both signed in with
`azure-identity`'s ClientSecretCredential pointed at Keyblade's token endpoint.

Run by tests/tests/sdk_azure.rs in phases (AZ_PHASE): `main` creates and uses keys and puts the
order on one; `denied` runs after the portal took UnwrapKey away; `fixed` after it gave it back;
`rbac-setup` creates two keys in a vault on role-based access while the identity is its Key
Administrator, and `rbac` runs once it holds only Crypto User on the first of them.
Prints one JSON line of facts for the Rust side; exits non-zero on the first broken expectation.
"""

import json
import os

import requests
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from azure.identity import ClientSecretCredential
from azure.keyvault.keys import JsonWebKey, KeyClient, KeyRotationLifetimeAction, KeyRotationPolicy
from azure.keyvault.keys import KeyRotationPolicyAction
from azure.keyvault.keys.crypto import CryptographyClient, KeyWrapAlgorithm
from azure.mgmt.databox import DataBoxManagementClient
from azure.mgmt.databox.models import (IdentityProperties, JobResourceUpdateParameter, KeyEncryptionKey,
                                       UpdateJobDetails, UserAssignedProperties)
from cryptography.hazmat.primitives.asymmetric import rsa

env = os.environ
CA = env["AZ_CA"]
PHASE = env["AZ_PHASE"]
credential = ClientSecretCredential(env["AZ_TENANT"], env["AZ_CLIENT_ID"], env["AZ_SECRET"],
                                    authority=env["AZ_AUTHORITY"], disable_instance_discovery=True,
                                    connection_verify=CA)
# Keyblade's vaults answer at 127.0.0.N, not under vault.azure.net: the SDK's check that the
# challenge's resource matches the vault's host is turned off with its documented switch.
VAULT_OPTIONS = {"verify_challenge_resource": False, "connection_verify": CA}
keys = KeyClient(env["AZ_VAULT"], credential, **VAULT_OPTIONS)
second = KeyClient(env["AZ_SECOND_VAULT"], credential, **VAULT_OPTIONS)
arm = DataBoxManagementClient(credential, env["AZ_SUBSCRIPTION"], base_url=env["AZ_ARM"], connection_verify=CA)
RG, JOB = env["AZ_RESOURCE_GROUP"], env["AZ_JOB"]
facts = {}


def refused(call, status, code):
    try:
        call()
    except HttpResponseError as error:
        assert error.status_code == status, (error.status_code, str(error))
        assert error.error is not None and error.error.code == code, str(error)
        return error
    raise AssertionError(f"expected a {status} {code}")


def put_order_on(key_id):
    kek = KeyEncryptionKey(kek_type="CustomerManaged", kek_url=key_id,
                           kek_vault_resource_id=env["AZ_VAULT_RESOURCE_ID"],
                           identity_properties=IdentityProperties(
                               type="UserAssigned",
                               user_assigned=UserAssignedProperties(resource_id=env["AZ_IDENTITY_RESOURCE_ID"])))
    update = JobResourceUpdateParameter(details=UpdateJobDetails(key_encryption_key=kek))
    return arm.jobs.begin_update(RG, JOB, update).result()


def crypto(key_id):
    return CryptographyClient(key_id, credential, **VAULT_OPTIONS)


if PHASE == "main":
    # Keys the vault generates: the sizes on offer only.
    key = keys.create_rsa_key("sdk-key", size=2048)
    assert key.properties.version and key.key.n and key.key.e, key
    assert key.id.startswith(env["AZ_VAULT"] + "/keys/sdk-key/"), key.id
    refused(lambda: keys.create_rsa_key("odd-size", size=1024), 422, "InvalidKeySize")
    assert keys.get_key("sdk-key").id == key.id
    assert keys.get_key("sdk-key", key.properties.version).id == key.id

    # Import a JSON Web Key made here.
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_numbers()
    def b(n):
        return n.to_bytes((n.bit_length() + 7) // 8, "big")
    jwk = JsonWebKey(kty="RSA", n=b(private.public_numbers.n), e=b(private.public_numbers.e), d=b(private.d),
                     p=b(private.p), q=b(private.q), dp=b(private.dmp1), dq=b(private.dmq1), qi=b(private.iqmp))
    imported = keys.import_key("imported", jwk)
    assert imported.key.kty == "RSA" and imported.properties.enabled

    # Paged listings follow nextLink.
    names = sorted(k.name for k in keys.list_properties_of_keys(max_page_size=1))
    assert {"sdk-key", "imported"} <= set(names), names
    updated = keys.update_key_properties("sdk-key", enabled=True, expires_on=None)
    assert updated.properties.enabled
    rotated = keys.rotate_key("sdk-key")
    assert rotated.properties.version != key.properties.version
    versions = list(keys.list_properties_of_key_versions("sdk-key", max_page_size=1))
    assert len(versions) == 2, versions
    policy = keys.update_key_rotation_policy(
        "sdk-key", KeyRotationPolicy(lifetime_actions=[
            KeyRotationLifetimeAction(KeyRotationPolicyAction.rotate, time_after_create="P3M")]))
    assert policy.lifetime_actions[0].time_after_create == "P3M", policy.lifetime_actions
    assert keys.get_key_rotation_policy("sdk-key").lifetime_actions[0].time_after_create == "P3M"
    refused(lambda: keys.update_key_rotation_policy("sdk-key", KeyRotationPolicy(lifetime_actions=[
        KeyRotationLifetimeAction(KeyRotationPolicyAction.rotate, time_after_create="P90D")])),
        400, "InvalidRotationInterval")

    # Wrap in the SDK with the public key, unwrap in the vault.
    wrapped = crypto(rotated.id).wrap_key(KeyWrapAlgorithm.rsa_oaep_256, b"a data key of 32 bytes, exactly.")
    unwrapped = crypto(rotated.id).unwrap_key(KeyWrapAlgorithm.rsa_oaep_256, wrapped.encrypted_key)
    assert unwrapped.key == b"a data key of 32 bytes, exactly."

    # The second vault grants no Get: the SDK cannot read the key, so it wraps in the vault.
    remote = second.create_rsa_key("remote", size=2048)
    wrapped = crypto(remote.id).wrap_key(KeyWrapAlgorithm.rsa_oaep_256, b"wrapped by the vault")
    assert crypto(remote.id).unwrap_key(KeyWrapAlgorithm.rsa_oaep_256, wrapped.encrypted_key).key == b"wrapped by the vault"
    # Delete, recover, delete again and purge.
    deleted = second.begin_delete_key("remote").result()
    assert deleted.recovery_id and deleted.deleted_date, deleted
    assert [k.name for k in second.list_deleted_keys()] == ["remote"]
    second.begin_recover_deleted_key("remote").wait()
    second.begin_delete_key("remote").wait()
    second.purge_deleted_key("remote")
    try:
        second.purge_deleted_key("remote")
        raise AssertionError("purged twice")
    except ResourceNotFoundError:
        pass

    # Data Box jobs: the order, then its key set to the SDK's key through the management API.
    assert JOB in [j.name for j in arm.jobs.list()]
    assert [j.name for j in arm.jobs.list_by_resource_group(RG)] == [JOB]
    assert arm.jobs.get(RG, JOB).details.key_encryption_key.kek_type == "MicrosoftManaged"
    refused(lambda: put_order_on(rotated.id.replace("https://", "http://")), 422,
                    "SsemUserErrorKeyVaultUrlWithInvalidScheme")
    job = put_order_on(rotated.id)
    kek = job.details.key_encryption_key
    assert kek.kek_type == "CustomerManaged" and kek.kek_url.endswith(rotated.properties.version), kek
    facts.update(key=rotated.id, version=rotated.properties.version, kek_url=kek.kek_url)

    # No token, or a token Keyblade did not sign: 401 with the challenge.
    plain = requests.get(env["AZ_VAULT"] + "/keys?api-version=7.6", verify=CA)
    assert plain.status_code == 401 and "authorization=" in plain.headers["WWW-Authenticate"], plain.headers

    class Forged:
        def get_token(self, *scopes, **kwargs):
            return AccessToken("forged", 4102444800)
    try:
        KeyClient(env["AZ_VAULT"], Forged(), **VAULT_OPTIONS).get_key("sdk-key")
        raise AssertionError("a forged token was accepted")
    except (ClientAuthenticationError, HttpResponseError) as error:
        assert getattr(error, "status_code", None) == 401, str(error)

elif PHASE == "denied":
    # The portal took UnwrapKey away from the identity: the vault and Save refuse alike.
    key_id = env["AZ_KEY"]
    wrapped = crypto(key_id).wrap_key(KeyWrapAlgorithm.rsa_oaep_256, b"x" * 32)
    refused(lambda: crypto(key_id).unwrap_key(KeyWrapAlgorithm.rsa_oaep_256, wrapped.encrypted_key),
            403, "SsemUserErrorKeyVaultBadRequestException")
    refused(lambda: put_order_on(key_id), 422, "SsemUserErrorKeyVaultBadRequestException")

elif PHASE == "fixed":
    key_id = env["AZ_KEY"]
    wrapped = crypto(key_id).wrap_key(KeyWrapAlgorithm.rsa_oaep_256, b"y" * 32)
    assert crypto(key_id).unwrap_key(KeyWrapAlgorithm.rsa_oaep_256, wrapped.encrypted_key).key == b"y" * 32
    assert put_order_on(key_id).details.key_encryption_key.kek_type == "CustomerManaged"
    # Back to the Microsoft managed key, and onto the SDK's key once more.
    microsoft = JobResourceUpdateParameter(details=UpdateJobDetails(
        key_encryption_key=KeyEncryptionKey(kek_type="MicrosoftManaged")))
    assert arm.jobs.begin_update(RG, JOB, microsoft).result().details.key_encryption_key.kek_type == "MicrosoftManaged"
    assert arm.jobs.get(RG, JOB).details.key_encryption_key.kek_type == "MicrosoftManaged"
    assert put_order_on(key_id).details.key_encryption_key.kek_type == "CustomerManaged"

elif PHASE == "rbac-setup":
    rbac = KeyClient(env["AZ_RBAC_VAULT"], credential, **VAULT_OPTIONS)
    facts["one"] = rbac.create_rsa_key("rbac-one", size=2048).id
    facts["two"] = rbac.create_rsa_key("rbac-two", size=2048).id

elif PHASE == "rbac":
    # Crypto User on rbac-one only: it is read and used; rbac-two is out of reach.
    rbac = KeyClient(env["AZ_RBAC_VAULT"], credential, **VAULT_OPTIONS)
    one = rbac.get_key("rbac-one")
    wrapped = crypto(one.id).wrap_key(KeyWrapAlgorithm.rsa_oaep_256, b"z" * 32)
    assert crypto(one.id).unwrap_key(KeyWrapAlgorithm.rsa_oaep_256, wrapped.encrypted_key).key == b"z" * 32
    refused(lambda: rbac.get_key("rbac-two"), 403, "ForbiddenByRbac")
    refused(lambda: rbac.create_rsa_key("rbac-three", size=2048), 403, "ForbiddenByRbac")

print(json.dumps(facts))
