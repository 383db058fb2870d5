//! Activity log: the audit trail, newest first, filtered by subject and action, paged, with
//! whether its hash chain is intact.

use leptos::prelude::*;
use shared::audit::{AuditAction, AuditEntry, AuditQuery, ChainStatus};

use crate::{
    components::{
        error_panel::ErrorPanel,
        form::{date_time, unique_id},
    },
    context::set_crumbs,
    hooks::use_query,
};

/// Entries per page.
const PAGE: u32 = 25;

#[component]
pub fn ActivityLogBlade() -> impl IntoView {
    set_crumbs(&[("Home", "/"), ("Activity log", "/activity-log")]);
    let subject = RwSignal::new(String::new());
    let action = RwSignal::new(None::<AuditAction>);
    // The `before` cursor of each page shown so far: the last one is the current page.
    let pages = RwSignal::new(vec![None::<u64>]);
    let query = move || AuditQuery {
        subject: Some(subject.get()).filter(|s| !s.trim().is_empty()),
        action: action.get(),
        before: pages.with(|p| p.last().copied().flatten()),
        limit: PAGE,
    };
    let log = use_query(query, |b, q| async move { b.audit(q).await });
    let restart = move || pages.set(vec![None]);
    let id_subject = unique_id("audit-subject");
    let id_action = unique_id("audit-action");
    view! {
        <section class="blade" aria-labelledby="audit-title">
            <div class="blade-head">
                <h1 id="audit-title">"Activity log"</h1>
                <span class="muted">"Who did what, to which resource, from where"</span>
            </div>
            <div class="inline-form filters">
                <div class="field search">
                    <label for=id_subject.clone()>"Resource contains"</label>
                    <input id=id_subject type="search" placeholder="vaults/contoso-kv" maxlength="256"
                        prop:value=move || subject.get()
                        on:input=move |ev| { subject.set(event_target_value(&ev)); restart(); } />
                </div>
                <div class="field">
                    <label for=id_action.clone()>"Operation"</label>
                    <select id=id_action on:change=move |ev| {
                        action.set(parse_action(&event_target_value(&ev)));
                        restart();
                    }>
                        <option value="" selected=true>"All operations"</option>
                        {AuditAction::ALL.iter().map(|a| view! {
                            <option value=wire_name(*a)>{a.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
            </div>
            {move || log.get().map(|r| match r {
                Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                Ok(page) => {
                    let older = page.next_before;
                    view! {
                        <ChainBanner chain=page.chain.clone() />
                        <EntryTable entries=page.entries />
                        <div class="pager">
                            <button type="button" disabled=move || pages.with(|p| p.len() <= 1)
                                on:click=move |_| pages.update(|p| { p.pop(); })>"Newer"</button>
                            <button type="button" disabled=older.is_none()
                                on:click=move |_| pages.update(|p| p.push(older))>"Older"</button>
                        </div>
                    }.into_any()
                }
            })}
        </section>
    }
}

/// Whether the log can be trusted: its hash chain checked from the first entry, and its end
/// against the head the server sealed.
#[component]
fn ChainBanner(chain: ChainStatus) -> impl IntoView {
    match chain.problem {
        None => {
            let sealed = if chain.sealed.is_some() {
                ", in order, and end where the sealed head says"
            } else {
                " and in order"
            };
            let head = chain
                .head
                .map(|h| format!(" Head: {}…", h.chars().take(16).collect::<String>()))
                .unwrap_or_default();
            view! {
                <p class="banner ok" role="status">
                    {format!("Integrity verified: all {} entries are intact{sealed}.{head}", chain.entries)}
                </p>
            }
            .into_any()
        }
        Some(problem) => view! {
            <p class="banner error" role="alert">{format!("Integrity check failed: {problem}")}</p>
        }
        .into_any(),
    }
}

#[component]
fn EntryTable(entries: Vec<AuditEntry>) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p class="empty">"No activity matches these filters."</p> }.into_any();
    }
    view! {
        <table class="grid audit">
            <thead><tr>
                <th scope="col">"#"</th><th scope="col">"Time"</th><th scope="col">"Operation"</th>
                <th scope="col">"Resource"</th><th scope="col">"Status"</th><th scope="col">"Initiated by"</th>
                <th scope="col">"Source address"</th>
            </tr></thead>
            <tbody>
                {entries.into_iter().map(|e| view! {
                    <tr>
                        <td class="mono">{e.seq}</td>
                        <td>{date_time(e.at)}</td>
                        <td>{e.action.label()}</td>
                        <td class="mono">{e.subject}</td>
                        <td>{match e.failure {
                            None => view! { <span class="status ok">"Succeeded"</span> }.into_any(),
                            Some(code) => view! {
                                <span class="status error">"Failed: "<span class="mono">{code.as_str()}</span></span>
                            }.into_any(),
                        }}</td>
                        <td>{e.actor}</td>
                        <td class="mono">{e.source}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// An action's wire name (`key.create`), the select's option value.
fn wire_name(action: AuditAction) -> String {
    serde_json::to_value(action).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn parse_action(value: &str) -> Option<AuditAction> {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).ok()
}
