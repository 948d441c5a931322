//! `lain build [--push]`: render the Dockerfile from values and build `REGISTRY/APPNAME:TAG`.
//!
//! Also the "is this commit already built?" check `lain deploy --build` uses: a clean tree
//! whose tag is already in the registry needs no build.

use crate::image::dockerfile::{self, RenderInput, Stage};
use crate::image::tag::{self, ImageTag};
use crate::image::{DOCKERFILE_HEADER, ImageContext, ImageError};
use crate::output;
use crate::registry::Registry;

#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Push `TAG` (and move `latest`) after building.
    pub push: bool,
    /// Leave the rendered Dockerfile at `REPO/Dockerfile`.
    pub keep_dockerfile: bool,
    /// Build a dirty tree as `TAG-dirty` instead of refusing.
    pub allow_dirty: bool,
    /// Skip the build when the tag is already in the registry (`lain deploy --build`).
    pub skip_existing: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildOutcome {
    Built {
        image: String,
        tag: ImageTag,
        pushed: Vec<String>,
    },
    /// `skip_existing` and the registry already has the tag: nothing was run.
    AlreadyInRegistry {
        image: String,
        tag: ImageTag,
    },
}

impl BuildOutcome {
    pub fn image(&self) -> &str {
        match self {
            BuildOutcome::Built { image, .. } | BuildOutcome::AlreadyInRegistry { image, .. } => image,
        }
    }
    pub fn tag(&self) -> &ImageTag {
        match self {
            BuildOutcome::Built { tag, .. } | BuildOutcome::AlreadyInRegistry { tag, .. } => tag,
        }
    }
}

/// Whether `tag` is already built and pushed. A `-dirty` tag never counts: the same name
/// holds whatever the tree was at the time.
pub async fn already_built(ctx: &ImageContext, tag: &ImageTag) -> Result<bool, ImageError> {
    if tag.dirty {
        return Ok(false);
    }
    let reg = ctx.registry_client()?;
    Ok(reg.tag_exists(&ctx.appname, &tag.tag).await?)
}

/// Writes the Dockerfile into the repo (`--keep-dockerfile`), never over a foreign one.
pub(crate) fn keep_dockerfile(ctx: &ImageContext, text: &str) -> Result<(), ImageError> {
    let path = ctx.repo_dir.join("Dockerfile");
    if path.exists() && !tag::is_lain_dockerfile(&path) {
        return Err(ImageError::ForeignDockerfile { path });
    }
    std::fs::write(&path, text).map_err(|source| ImageError::Io { path: path.clone(), source })?;
    output::info(&format!("Dockerfile kept at {}", path.display()));
    Ok(())
}

/// Runs `lain build`.
pub async fn run(ctx: &ImageContext, opts: &BuildOptions) -> Result<BuildOutcome, ImageError> {
    let spec = ctx.spec()?;
    let tag = tag::current_tag(&ctx.repo_dir, opts.allow_dirty)?;
    let image = ctx.image_ref(&tag.tag);
    if tag.dirty {
        output::warn(&format!("building a dirty tree as {image}; it is not commit {}", &tag.commit[..12.min(tag.commit.len())]));
    }
    if opts.skip_existing && already_built(ctx, &tag).await? {
        output::info(&format!("{image} is already in the registry, skipping the build"));
        return Ok(BuildOutcome::AlreadyInRegistry { image, tag });
    }
    let text = dockerfile::render(&spec, Stage::Build, &RenderInput { registry: &ctx.registry, appname: &ctx.appname, cluster: &ctx.cluster, meta: &tag.tag })?;
    debug_assert!(text.starts_with(DOCKERFILE_HEADER));
    let docker = ctx.docker();
    docker.check_engine()?;
    if spec.build.prepare.is_some() {
        ensure_prepare_image(ctx).await?;
    }
    if opts.keep_dockerfile {
        keep_dockerfile(ctx, &text)?;
    }
    docker.build(&ctx.repo_dir, &text, std::slice::from_ref(&image), &dockerfile::build_args(&spec, Stage::Build), None)?;
    output::success(&format!("built {image}"));
    let pushed = if opts.push { super::push::push_image(ctx, &tag)? } else { Vec::new() };
    Ok(BuildOutcome::Built { image, tag, pushed })
}

/// The build stage is `FROM REGISTRY/APPNAME:prepare`: say so clearly when it is nowhere,
/// rather than let docker fail with "pull access denied".
async fn ensure_prepare_image(ctx: &ImageContext) -> Result<(), ImageError> {
    let image = ctx.image_ref("prepare");
    if ctx.docker().image_id(&image)?.is_some() {
        return Ok(());
    }
    let reg = ctx.registry_client()?;
    if reg.tag_exists(&ctx.appname, "prepare").await? {
        return Ok(());
    }
    Err(ImageError::NoPrepareImage { image })
}
