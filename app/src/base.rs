//! `BINNACLE_BASE_PATH`: the sub-path Binnacle is served under behind a
//! reverse proxy (e.g. `/binnacle`), or empty at the root. The server sets it
//! once at start-up (route lists are generated before any request, so it
//! cannot come from request context); the page carries it in
//! `<meta name="binnacle-base">` for the browser.

use std::sync::OnceLock;

static BASE: OnceLock<String> = OnceLock::new();

/// Normalises a configured base path: `""`, `"/"` -> `""`; `"/x/"` -> `"/x"`.
/// Letters, digits, `-`, `_`, `.` and `/` only.
pub fn normalize(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    if !trimmed.starts_with('/') || trimmed.contains("//") || trimmed.contains("/.") {
        return Err(format!("{raw:?} must look like /binnacle"));
    }
    if !trimmed.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')) {
        return Err(format!("{raw:?} may hold only letters, digits, '-', '_', '.' and '/'"));
    }
    Ok(trimmed.to_string())
}

/// Sets the base path for this process (server start-up). Later calls are ignored.
pub fn set_base_path(base: String) {
    let _ = BASE.set(base);
}

/// The base path: `""` at the root, else like `/binnacle` (no trailing slash).
pub fn base_path() -> &'static str {
    BASE.get_or_init(|| {
        #[cfg(feature = "hydrate")]
        {
            leptos::prelude::document()
                .query_selector("meta[name=binnacle-base]")
                .ok()
                .flatten()
                .and_then(|m| m.get_attribute("content"))
                .and_then(|b| normalize(&b).ok())
                .unwrap_or_default()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            String::new()
        }
    })
}

/// A link target for an app path (`/containers/...`): the base path prepended.
pub fn href(path: &str) -> String {
    format!("{}{}", base_path(), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths_are_normalised_and_checked() {
        assert_eq!(normalize("").unwrap(), "");
        assert_eq!(normalize("/").unwrap(), "");
        assert_eq!(normalize("/binnacle/").unwrap(), "/binnacle");
        assert_eq!(normalize("/a/b").unwrap(), "/a/b");
        for bad in ["binnacle", "/a//b", "/a/../b", "/a b", "/<x>"] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
    }
}
