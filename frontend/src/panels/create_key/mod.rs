//! "Create a key": name, type, size, optional activation/expiration dates, enabled. The key pair
//! is generated in the browser in a Web Worker (progress shown, Cancel terminates the worker),
//! wrapped for the vault's import key and uploaded.

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};

use futures::future::{FutureExt, LocalBoxFuture, Shared};
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use shared::{crypto::KeyTransfer, model::KeyType};

use crate::{
    api::{ApiError, Backend, KeyImport, VersionAttributes},
    components::{
        error_panel::ErrorPanel,
        form::{parse_date, unique_id},
        notifications::{NoteKind, use_notifier},
        side_sheet::SideSheet,
    },
    context::{use_backend, use_refresh},
    keygen::{KeySpec, KeygenJob},
};

/// Progress of a key generation + import.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    Idle,
    Working { started: f64 },
}

#[component]
pub fn CreateKeyPanel(
    /// The vault the key goes into.
    #[prop(into)]
    vault: String,
    #[prop(optional)] level: u8,
    /// Offer EC (P-256) next to RSA (the Key vaults blade does; the Encryption picker does not).
    #[prop(optional)]
    allow_ec: bool,
    /// Called with (key name, version id).
    #[prop(into)]
    on_created: Callback<(String, String)>,
    #[prop(into)] on_close: Callback<()>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let key_type = RwSignal::new("RSA".to_string());
    let size = RwSignal::new(2048usize);
    let set_nbf = RwSignal::new(false);
    let nbf = RwSignal::new(crate::components::form::date_in_days(0));
    let set_exp = RwSignal::new(false);
    let exp = RwSignal::new(crate::components::form::date_in_days(365));
    let enabled = RwSignal::new(true);
    let ids = (
        unique_id("key-name"),
        unique_id("key-type"),
        unique_id("key-nbf-on"),
        unique_id("key-nbf"),
        unique_id("key-exp-on"),
        unique_id("key-exp"),
        unique_id("key-enabled"),
    );
    let (id_name, id_type, id_nbf_on, id_nbf, id_exp_on, id_exp, id_enabled) = ids;
    let name_ok = move || shared::validation::key_name(name.get().trim()).is_ok();
    let attributes = move || VersionAttributes {
        enabled: enabled.get_untracked(),
        nbf: if set_nbf.get_untracked() { parse_date(&nbf.get_untracked()) } else { None },
        exp: if set_exp.get_untracked() { parse_date(&exp.get_untracked()) } else { None },
    };
    let spec = move || if key_type.get() == "EC" { KeySpec::Ec } else { KeySpec::Rsa { bits: size.get() } };
    let runner = KeyRunner::new();
    let vault_for_prepare = vault.clone();
    Effect::new(move || runner.prepare(vault_for_prepare.clone(), spec()));
    let vault_for_create = vault.clone();
    let create = move |_| {
        let spec = untrack(spec);
        let is_ec = spec == KeySpec::Ec;
        let key_name = name.get_untracked().trim().to_string();
        let attrs = attributes();
        let vault = vault_for_create.clone();
        runner.run(
            vault.clone(),
            spec,
            format!("key '{key_name}'"),
            move |backend, transfer| {
                let import = KeyImport {
                    key_type: if is_ec { KeyType::Ec } else { KeyType::Rsa },
                    size: if is_ec { 256 } else { spec_bits(spec) as u16 },
                    transfer,
                    attributes: attrs.clone(),
                };
                let key_name = key_name.clone();
                let vault = vault.clone();
                async move {
                    let key = backend.import_new_key(&vault, &key_name, &import).await?;
                    let version = key.versions.last().map(|v| v.id.clone()).unwrap_or_default();
                    Ok((key.name, version))
                }
            },
            move |(key, version)| {
                let _ = on_created.try_run((key, version));
            },
        );
    };
    let working = runner.working();
    view! {
        <SideSheet title="Create a key" level=level on_close=Callback::new(move |()| { runner.cancel(); on_close.run(()) })>
            <div class="sheet-body">
                <p class="muted">{format!("Key vault: {vault}")}</p>
                <div class="field">
                    <label for=id_name.clone()>"Name"</label>
                    <input id=id_name.clone() type="text" autocomplete="off" required disabled=working
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                    <p class="hint">"Letters, digits and hyphens."</p>
                </div>
                <div class="field">
                    <label for=id_type.clone()>"Key type"</label>
                    <select id=id_type.clone() disabled=working on:change=move |ev| key_type.set(event_target_value(&ev))>
                        <option value="RSA" selected=move || key_type.get() == "RSA">"RSA"</option>
                        {allow_ec.then(|| view! { <option value="EC" selected=move || key_type.get() == "EC">"EC"</option> })}
                    </select>
                </div>
                <Show when=move || key_type.get() == "RSA" fallback=|| view! { <p class="hint">"Elliptic curve name: P-256. Orders cannot use EC keys."</p> }>
                    <fieldset class="group radios">
                        <legend>"RSA key size"</legend>
                        {[2048usize, 3072, 4096].into_iter().map(|bits| {
                            let id = unique_id("key-size");
                            view! {
                                <span class="radio">
                                    <input type="radio" name=format!("{id_type}-size") id=id.clone() disabled=working
                                        prop:checked=move || size.get() == bits on:change=move |_| size.set(bits) />
                                    <label for=id>{bits.to_string()}</label>
                                </span>
                            }
                        }).collect_view()}
                    </fieldset>
                </Show>
                <DateToggle id_on=id_nbf_on id_date=id_nbf on_label="Set activation date" date_label="Activation date" on=set_nbf value=nbf disabled=working />
                <DateToggle id_on=id_exp_on id_date=id_exp on_label="Set expiration date" date_label="Expiration date" on=set_exp value=exp disabled=working />
                <div class="check">
                    <input id=id_enabled.clone() type="checkbox" disabled=working prop:checked=move || enabled.get()
                        on:change=move |ev| enabled.set(event_target_checked(&ev)) />
                    <label for=id_enabled>"Enabled"</label>
                </div>
                <KeygenProgress runner=runner />
            </div>
            <div class="sheet-footer">
                <button type="button" class="primary" disabled=move || !name_ok() || working.get() on:click=create>"Create"</button>
                <button type="button" on:click=move |_| { if working.get() { runner.cancel() } else { on_close.run(()) } }>"Cancel"</button>
            </div>
        </SideSheet>
    }
}

fn spec_bits(spec: KeySpec) -> usize {
    match spec {
        KeySpec::Rsa { bits } => bits,
        KeySpec::Ec => 256,
    }
}

/// "Set X date" checkbox plus the date input it reveals.
#[component]
pub fn DateToggle(
    id_on: String,
    id_date: String,
    on_label: &'static str,
    date_label: &'static str,
    on: RwSignal<bool>,
    value: RwSignal<String>,
    #[prop(into)] disabled: Signal<bool>,
) -> impl IntoView {
    view! {
        <div class="check">
            <input id=id_on.clone() type="checkbox" disabled=disabled prop:checked=move || on.get()
                on:change=move |ev| on.set(event_target_checked(&ev)) />
            <label for=id_on>{on_label}</label>
        </div>
        <div class="field indent" class:hidden=move || !on.get()>
            <label for=id_date.clone()>{date_label}</label>
            <input id=id_date type="date" disabled=move || disabled.get() || !on.get()
                prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
        </div>
    }
}

/// A key pair being generated (or already generated) for one vault and spec, before the user
/// selects Create. Only the wrapped transfer blob ever leaves the worker.
struct Preparation {
    vault: String,
    spec: KeySpec,
    transfer: Shared<LocalBoxFuture<'static, Result<KeyTransfer, ApiError>>>,
    job: Rc<RefCell<Option<KeygenJob>>>,
    cancelled: Rc<Cell<bool>>,
    /// Taken by a Create: never uploaded twice.
    claimed: Cell<bool>,
}

impl Preparation {
    fn start(
        backend: Backend,
        vault: String,
        spec: KeySpec,
        stage: RwSignal<String>,
        readiness: RwSignal<Readiness>,
    ) -> Self {
        let job = Rc::new(RefCell::new(None));
        let cancelled = Rc::new(Cell::new(false));
        let (slot, stop) = (job.clone(), cancelled.clone());
        let for_vault = vault.clone();
        stage.set("Fetching the key vault's import key…".into());
        readiness.set(Readiness::Generating);
        let transfer = async move {
            let import_key = backend.import_key(&for_vault).await?;
            if stop.get() {
                return Err(ApiError::client(CANCELLED));
            }
            let (started, result) =
                crate::keygen::start(spec, import_key, move |s| stage.set(s)).map_err(ApiError::client)?;
            *slot.borrow_mut() = Some(started);
            let transfer = result.await.map_err(ApiError::client)?;
            readiness.set(Readiness::Ready);
            Ok(transfer)
        }
        .boxed_local()
        .shared();
        // Shared futures only run when polled: drive this one now, not when Create is selected.
        leptos::task::spawn_local(transfer.clone().map(drop));
        Self { vault, spec, transfer, job, cancelled, claimed: Cell::new(false) }
    }

    fn serves(&self, vault: &str, spec: KeySpec) -> bool {
        !self.claimed.get() && !self.cancelled.get() && self.vault == vault && self.spec == spec
    }

    fn cancel(&self) {
        self.cancelled.set(true);
        if let Some(job) = self.job.borrow_mut().take() {
            job.cancel();
        }
    }
}

const CANCELLED: &str = "cancelled";

/// What a panel has prepared, as its hint tells the user.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Readiness {
    Nothing,
    Generating,
    Ready,
}

/// Drives key generation for a panel: the key pair is prepared in a worker as soon as the panel
/// knows the vault and key spec, so that Create only has to upload it. Progress, errors and
/// Cancel are shown while the user waits.
#[derive(Clone, Copy)]
pub struct KeyRunner {
    pub progress: RwSignal<Progress>,
    pub error: RwSignal<Option<ApiError>>,
    /// The worker's latest stage text.
    stage: RwSignal<String>,
    /// Where the prepared key pair is.
    readiness: RwSignal<Readiness>,
    prepared: StoredValue<Option<SendWrapper<Preparation>>>,
    backend: StoredValue<SendWrapper<Backend>>,
    elapsed: RwSignal<f64>,
}

impl Default for KeyRunner {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyRunner {
    pub fn new() -> Self {
        crate::keygen::warm_up();
        let runner = Self {
            progress: RwSignal::new(Progress::Idle),
            error: RwSignal::new(None),
            stage: RwSignal::new(String::new()),
            readiness: RwSignal::new(Readiness::Nothing),
            prepared: StoredValue::new(None),
            backend: StoredValue::new(SendWrapper::new(use_backend())),
            elapsed: RwSignal::new(0.0),
        };
        // A ticking clock while working, so progress is visibly alive.
        let handle = set_interval_with_handle(
            move || {
                if let Progress::Working { started } = runner.progress.get_untracked() {
                    runner.elapsed.set((js_sys::Date::now() - started) / 1000.0);
                }
            },
            std::time::Duration::from_millis(250),
        )
        .ok();
        on_cleanup(move || {
            if let Some(h) = handle {
                h.clear();
            }
            runner.cancel();
        });
        runner
    }

    pub fn working(&self) -> Signal<bool> {
        let p = self.progress;
        Signal::derive(move || matches!(p.get(), Progress::Working { .. }))
    }

    /// Starts generating a key pair of `spec` for `vault` in the background, unless one is
    /// already on its way. Whatever was prepared for another spec is discarded.
    pub fn prepare(&self, vault: String, spec: KeySpec) {
        // The panel may already be gone when a late event asks (the try_ reads say so).
        let served = self.prepared.try_with_value(|p| p.as_ref().is_some_and(|p| p.serves(&vault, spec)));
        if served.is_none_or(|served| served) {
            return;
        }
        self.cancel();
        let Some(backend) = self.backend.try_with_value(|b| Backend::clone(b)) else { return };
        let preparation = Preparation::start(backend, vault, spec, self.stage, self.readiness);
        let _ = self.prepared.try_update_value(|p| *p = Some(SendWrapper::new(preparation)));
    }

    pub fn cancel(&self) {
        if let Some(prepared) = self.prepared.try_update_value(|p| p.take()).flatten() {
            prepared.cancel();
        }
        self.readiness.try_set(Readiness::Nothing);
    }

    /// Uploads a key pair of `spec` for `vault` (the prepared one, or a new one) with `upload`;
    /// `done` gets its result.
    pub fn run<T, F, Fut>(
        &self,
        vault: String,
        spec: KeySpec,
        what: String,
        upload: F,
        done: impl Fn(T) + 'static,
    ) where
        T: 'static,
        F: FnOnce(Backend, KeyTransfer) -> Fut + 'static,
        Fut: std::future::Future<Output = Result<T, ApiError>> + 'static,
    {
        let refresh = use_refresh();
        let notifier = use_notifier();
        let this = *self;
        this.prepare(vault.clone(), spec);
        let Some((transfer, cancelled)) = this
            .prepared
            .try_with_value(|p| {
                p.as_ref().map(|p| {
                    p.claimed.set(true);
                    (p.transfer.clone(), p.cancelled.clone())
                })
            })
            .flatten()
        else {
            return;
        };
        let Some(backend) = this.backend.try_with_value(|b| Backend::clone(b)) else { return };
        this.error.set(None);
        this.elapsed.set(0.0);
        this.progress.set(Progress::Working { started: js_sys::Date::now() });
        let note =
            notifier.push(NoteKind::Progress, "Creating key…", format!("Generating {what} in your browser."));
        leptos::task::spawn_local(async move {
            let fail = move |e: ApiError| {
                notifier.update(
                    note,
                    NoteKind::Error,
                    "Key creation failed",
                    format!("{}: {}", e.code, e.message),
                );
                this.error.set(Some(e));
                this.progress.set(Progress::Idle);
            };
            let transfer = match transfer.await {
                Ok(t) => t,
                Err(_) if cancelled.get() => {
                    notifier.update(note, NoteKind::Info, "Key creation cancelled", "Nothing was uploaded.");
                    this.progress.set(Progress::Idle);
                    return;
                }
                Err(e) => return fail(e),
            };
            this.stage.set("Importing the wrapped key into the key vault…".into());
            let outcome = upload(backend, transfer).await;
            if outcome.is_ok() {
                let text = format!("The {what} was created in key vault '{vault}'.");
                notifier.update(note, NoteKind::Success, "Key created", text);
                refresh.bump();
            }
            // The panel may be gone by now (closed, or the user moved on): then there is nothing
            // left to update or call back.
            if this.prepared.try_update_value(|p| *p = None).is_none() {
                return;
            }
            this.readiness.set(Readiness::Nothing);
            match outcome {
                Ok(value) => {
                    this.progress.set(Progress::Idle);
                    done(value);
                }
                Err(e) => fail(e),
            }
        });
    }
}

/// The visible progress (and error) of a [`KeyRunner`].
#[component]
pub fn KeygenProgress(runner: KeyRunner) -> impl IntoView {
    view! {
        {move || match runner.progress.get() {
            Progress::Idle => view! {
                <p class="hint" role="status">{move || match runner.readiness.get() {
                    Readiness::Nothing => "",
                    Readiness::Generating => "Generating the key pair in your browser while you fill in the form…",
                    Readiness::Ready => "Key pair ready in your browser; Create wraps it for the key vault and uploads it.",
                }}</p>
            }.into_any(),
            Progress::Working { .. } => view! {
                <div class="keygen-progress" role="status" aria-live="polite">
                    <div class="progress-bar indeterminate" role="progressbar" aria-label="Key generation progress"><span></span></div>
                    <p>{move || runner.stage.get()}" "<span class="muted">{move || format!("({:.1} s)", runner.elapsed.get())}</span></p>
                </div>
            }.into_any(),
        }}
        {move || runner.error.get().map(|e| view! { <ErrorPanel error=e /> })}
    }
}
