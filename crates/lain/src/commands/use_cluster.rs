use anyhow::Result;
use lain_core::context::Ctx;
use lain_core::ops::use_cluster;
use lain_core::output;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The cluster to switch to; omit to list clusters (current one marked with *).
    pub cluster: Option<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    match a.cluster {
        Some(c) => {
            use_cluster::switch(ctx, &c)?;
            output::success(&format!("now using cluster {c} (~/.kube/config -> kubeconfig-{c})"));
        }
        None => {
            let rows = use_cluster::list(ctx)?;
            let mut out = String::new();
            for r in rows {
                let mark = if r.current { "*" } else { " " };
                let note = if r.has_kubeconfig { String::new() } else { format!("  (no ~/.kube/kubeconfig-{})", r.name) };
                out.push_str(&format!("{mark} {}{note}\n", r.name));
            }
            output::data(&out);
        }
    }
    Ok(())
}
