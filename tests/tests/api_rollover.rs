//! Device key rollover through the management API and the device console routes, with the
//! seeded manager's three devices (one offline, one cloud appliance). Time rules are checked by
//! moving the test clock: 29 and 31 minutes, 3 h 59 and 4 h 01.

use keyblade_tests::{Api, TestServer, scenario::wait_for_operation};
use serde_json::{Value, json};

const PHYSICAL: &str = "hcs-8100-01";
const OFFLINE: &str = "hcs-8600-02";
const CLOUD: &str = "cloud-8020-01";

/// The seeded manager's management path.
async fn manager_path(api: &Api) -> String {
    let managers = api.get("/device-managers").await.ok();
    let m = &managers[0];
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.StorSimple/managers/{}",
        m["subscription_id"].as_str().expect("a subscription"),
        m["resource_group"].as_str().expect("a resource group"),
        m["name"].as_str().expect("a name")
    )
}

async fn advance(api: &Api, minutes: i64) {
    api.post("/clock", &json!({ "advance_seconds": minutes * 60 })).await.ok();
}

fn device<'a>(list: &'a Value, name: &str) -> &'a Value {
    list["value"].as_array().and_then(|d| d.iter().find(|d| d["name"] == name)).expect("the device")
}

#[tokio::test]
async fn the_whole_procedure_with_its_time_rules() {
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let path = manager_path(&api).await;
    let authorize = |d: &str| format!("{path}/devices/{d}/authorizeForServiceEncryptionKeyRollover");
    let initiate = |d: &str| format!("{path}/devices/{d}/console/changeServiceDataEncryptionKey");
    let update = |d: &str| format!("{path}/devices/{d}/console/updateServiceDataEncryptionKey");
    let read = |d: &str| format!("{path}/devices/{d}/console/readStorageAccountCredentials");

    // Eligibility is visible before anyone clicks.
    let devices = api.get(&format!("{path}/devices")).await.ok();
    assert_eq!(device(&devices, PHYSICAL)["rollover_details"]["authorizationEligibility"], "Eligible");
    let offline = &device(&devices, OFFLINE)["rollover_details"];
    assert_eq!(
        (offline["authorizationEligibility"].as_str(), offline["inEligibilityReason"].as_str()),
        (Some("InEligible"), Some("DeviceNotOnline"))
    );
    let settings = api.get(&format!("{path}/encryptionSettings/default")).await.ok();
    assert_eq!(
        (settings["encryptionStatus"].as_str(), settings["keyRolloverStatus"].as_str()),
        (Some("Enabled"), Some("NotRequired"))
    );
    let fingerprints = api.post_empty(&read(OFFLINE)).await.error(409, "DeviceNotOnline");
    assert!(fingerprints["fix"].is_object(), "an offline device offers to bring it online");

    // Step 1 and its 30-minute rule.
    api.post_empty(&authorize(OFFLINE)).await.error(409, "DeviceNotOnline");
    let authorized = api.post_empty(&authorize(PHYSICAL)).await.ok();
    assert_eq!(authorized["rollover_details"]["authorizationStatus"], "Enabled");
    advance(&api, 29).await;
    api.post_empty(&authorize(PHYSICAL)).await.error(409, "DeviceReauthorizationTooSoon");
    advance(&api, 2).await;
    api.post_empty(&authorize(PHYSICAL)).await.ok();

    // Step 2 and its four-hour window.
    advance(&api, 4 * 60 + 1).await;
    let expired = api.post_empty(&initiate(PHYSICAL)).await.error(409, "KeyChangeAuthorizationExpired");
    assert_eq!(expired["fix"]["action"], "AuthorizeRollover");
    api.post_empty(&authorize(PHYSICAL)).await.ok();
    advance(&api, 3 * 60 + 59).await;
    api.post_empty(&initiate(CLOUD)).await.error(409, "DeviceNotAuthorizedForKeyChange");
    let before = api.post_empty(&read(PHYSICAL)).await.ok();
    let change = api.post_empty(&initiate(PHYSICAL)).await.ok();
    let key = change["serviceDataEncryptionKey"].as_str().expect("the new key, shown once").to_owned();
    assert_eq!(change["keyVersion"], 2);
    let operation = wait_for_operation(&api, change["operation"].as_str().expect("an operation")).await;
    assert_eq!(operation["state"], "Succeeded");

    // The alert, blocked management, data traffic only for updated devices.
    let managers = api.get("/device-managers").await.ok();
    let alert = managers[0]["alert"].as_str().expect("an alert on the dashboard");
    assert!(alert.contains(OFFLINE) && alert.contains(CLOUD), "{alert}");
    let settings = api.get(&format!("{path}/encryptionSettings/default")).await.ok();
    assert_eq!(settings["keyRolloverStatus"], "Required");
    let blocked = api.patch(&format!("{path}/devices/{PHYSICAL}"), &json!({ "description": "rack 4" })).await;
    let blocked = blocked.error(409, "ManagementBlockedUntilDevicesUpdated");
    assert!(blocked["message"].as_str().is_some_and(|m| m.contains(CLOUD)));
    assert_eq!(api.post_empty(&read(PHYSICAL)).await.ok(), before, "the same secrets under the new key");
    api.post_empty(&read(CLOUD)).await.error(409, "DeviceServiceDataEncryptionKeyOutdated");

    // Step 3: a wrong key changes nothing; the cloud appliances at once; the offline device later.
    let wrong = json!({ "serviceDataEncryptionKey": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" });
    api.post(&update(CLOUD), &wrong).await.error(422, "ServiceDataEncryptionKeyMismatch");
    let right = json!({ "serviceDataEncryptionKey": key });
    let cloud = api.post(&format!("{path}/updateCloudApplianceServiceEncryptionKey"), &right).await.ok();
    assert_eq!(cloud, json!([{ "device": CLOUD, "result": "Updated" }]));
    api.post_empty(&read(CLOUD)).await.ok();
    assert_eq!(api.post(&update(OFFLINE), &right).await.ok()["result"], "Queued");
    let online =
        api.put(&format!("{path}/devices/{OFFLINE}/connectivity"), &json!({ "online": true })).await.ok();
    assert_eq!(online["key_state"], "Current");
    api.post_empty(&read(OFFLINE)).await.ok();
    let managers = api.get("/device-managers").await.ok();
    assert_eq!(managers[0]["alert"], Value::Null);
    api.patch(&format!("{path}/devices/{PHYSICAL}"), &json!({ "description": "rack 4" })).await.ok();

    // The audit trail names each step, never the key.
    let audit = api.get("/audit?subject=managers").await.ok();
    let text = audit.to_string();
    assert!(!text.contains(&key), "the key reached the audit trail");
    for action in ["device.rollover_authorize", "device.key_change", "device.key_update", "device.update"] {
        assert!(text.contains(action), "{action} is not in the audit trail");
    }
}

#[tokio::test]
async fn a_manager_outside_its_subscription_is_not_found() {
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let path = manager_path(&api).await.replacen("/subscriptions/", "/subscriptions/x", 1);
    api.get(&format!("{path}/devices")).await.error(404, "NotFound");
}
