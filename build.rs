//! Generates `include/vwo.h` from `src/ffi` with cbindgen (pinned in Cargo.toml).
//!
//! The fresh header always goes to `$OUT_DIR/vwo.h`, which the test `ffi::tests::header_is_fresh`
//! compares with the committed `include/vwo.h`. On a developer's machine the build also rewrites
//! `include/vwo.h` when it changed (commit it); under CI (`CI` set) or with `VWO_HEADER=check` it
//! never writes into the source tree, so a stale committed header fails the test.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=CI");
    println!("cargo:rerun-if-env-changed=VWO_HEADER");
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into()));
    let mut config = match cbindgen::Config::from_file(root.join("cbindgen.toml")) {
        Ok(c) => c,
        Err(e) => {
            println!("cargo:warning=cbindgen.toml: {e}");
            std::process::exit(1);
        }
    };
    let version =
        |part: &str| std::env::var(format!("CARGO_PKG_VERSION_{part}")).unwrap_or_default();
    config.after_includes = Some(format!(
        "\n/* The version of this header; vwo_version() gives the library's. */\n\
         #define VWO_VERSION_MAJOR {}\n#define VWO_VERSION_MINOR {}\n#define VWO_VERSION_PATCH {}\n",
        version("MAJOR"),
        version("MINOR"),
        version("PATCH")
    ));
    let bindings = match cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("src/ffi/mod.rs"))
        .generate()
    {
        Ok(b) => b,
        Err(e) => {
            println!("cargo:warning=cbindgen failed: {e}");
            std::process::exit(1);
        }
    };
    bindings.write_to_file(out_dir.join("vwo.h"));
    let check_only =
        std::env::var_os("CI").is_some() || std::env::var("VWO_HEADER").as_deref() == Ok("check");
    if !check_only {
        // write_to_file leaves the file untouched when the content is the same.
        let include = root.join("include");
        let _ = std::fs::create_dir_all(&include);
        bindings.write_to_file(include.join("vwo.h"));
    }
}
