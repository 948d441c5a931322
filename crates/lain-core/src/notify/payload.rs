//! The JSON each webhook kind expects, and how each says "accepted".

use serde_json::{Value, json};

use super::WebhookKind;
use super::event::{Event, Line, render};

/// Slack rejects header blocks over 150 characters and sections over 3000.
const SLACK_HEADER_MAX: usize = 150;
const SLACK_SECTION_MAX: usize = 3000;

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_string() } else { format!("{}…", s.chars().take(max - 1).collect::<String>()) }
}

fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Markdown body: `bold` is how the dialect writes bold, `bullet` its list marker.
fn markdown(lines: &[Line], bold: &str, bullet: &str, esc: fn(&str) -> String) -> String {
    lines
        .iter()
        .map(|l| match l {
            Line::Field(label, value) => format!("{bold}{label}{bold}: {}", esc(value)),
            Line::Bullet(t) => format!("{bullet} {}", esc(t)),
            Line::Text(t) => esc(t),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn build(kind: WebhookKind, event: &Event, cluster: &str) -> Value {
    let (title, lines) = render(event, cluster);
    match kind {
        WebhookKind::Feishu => json!({
            "msg_type": "interactive",
            "card": {
                "config": {"wide_screen_mode": true},
                "header": {
                    "template": header_colour(event),
                    "title": {"tag": "plain_text", "content": title},
                },
                "elements": [
                    {"tag": "div", "text": {"tag": "lark_md", "content": markdown(&lines, "**", "-", str::to_string)}}
                ],
            },
        }),
        WebhookKind::Slack => {
            let body = cut(&markdown(&lines, "*", "•", slack_escape), SLACK_SECTION_MAX);
            json!({
                "text": format!("{}\n{}", slack_escape(&title), body),
                "blocks": [
                    {"type": "header", "text": {"type": "plain_text", "text": cut(&title, SLACK_HEADER_MAX)}},
                    {"type": "section", "text": {"type": "mrkdwn", "text": body}},
                ],
            })
        }
        WebhookKind::DingTalk => json!({
            "msgtype": "markdown",
            "markdown": {
                "title": title,
                // DingTalk markdown needs blank lines to break lines.
                "text": format!("#### {title}\n\n{}", markdown(&lines, "**", "-", str::to_string).replace('\n', "\n\n")),
            },
        }),
        WebhookKind::Generic => generic(event, cluster, &title, &lines),
    }
}

fn header_colour(event: &Event) -> &'static str {
    match event {
        Event::Rollback(_) => "orange",
        Event::Strategy(s) if matches!(s.step.as_str(), "rolled_back" | "aborted" | "dropped") => "orange",
        Event::SecretChanged(_) => "purple",
        _ => "blue",
    }
}

fn generic(event: &Event, cluster: &str, title: &str, lines: &[Line]) -> Value {
    let mut v = json!({
        "event": event.name(),
        "cluster": cluster,
        "title": title,
        "text": markdown(lines, "", "-", str::to_string),
    });
    let Some(m) = v.as_object_mut() else { return v };
    match event {
        Event::SecretChanged(s) => {
            m.insert("who".into(), json!(s.who()));
            m.insert("app".into(), json!(s.app()));
            m.insert("secret".into(), json!(s.secret()));
            m.insert("added".into(), json!(s.added()));
            m.insert("changed".into(), json!(s.changed()));
            m.insert("removed".into(), json!(s.removed()));
        }
        Event::Message(text) => {
            m.insert("message".into(), json!(text));
        }
        Event::Strategy(s) => {
            m.insert("who".into(), json!(s.who));
            m.insert("strategy".into(), json!(s));
        }
        other => {
            if let Some(r) = other.release() {
                m.insert("who".into(), json!(r.who));
                m.insert("release".into(), json!(r.release));
                m.insert("old_tag".into(), json!(r.old_tag));
                m.insert("new_tag".into(), json!(r.new_tag));
                m.insert("procs".into(), json!(r.procs));
                m.insert("commits".into(), json!(r.commits));
            }
        }
    }
    v
}

/// Feishu and DingTalk answer HTTP 200 even when they refuse a message; the refusal is in the
/// body. Returns the refusal, if any.
pub(crate) fn refusal(kind: WebhookKind, body: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body).ok()?;
    let (code_key, msg_key) = match kind {
        WebhookKind::Feishu => ("code", "msg"),
        WebhookKind::DingTalk => ("errcode", "errmsg"),
        _ => return None,
    };
    let code = v.get(code_key).and_then(Value::as_i64)?;
    (code != 0).then(|| {
        let msg = v.get(msg_key).and_then(Value::as_str).unwrap_or("no message");
        format!("{code_key} {code}: {msg}")
    })
}
