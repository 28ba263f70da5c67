//! Resolving the entry points of an NVIDIA library loaded at run time (NVDEC, nvJPEG,
//! NVENC), with one error for an entry point the installed library lacks.
//!
//! Owns the lookup only; each library's loader chooses the file and the entry points.

/// An entry point the loaded library does not export (the library is too old).
#[derive(Debug, thiserror::Error)]
#[error("{library} has no entry point {symbol} ({detail})")]
pub struct MissingSymbol {
    /// The library that was loaded.
    pub library: String,
    /// The missing entry point.
    pub symbol: &'static str,
    /// The loader's reason.
    pub detail: String,
}

/// Resolves entry point `name` of `library` (loaded from `library_name`) as a function
/// pointer of type `F`.
///
/// # Safety
/// `F` must be the function-pointer type of the C prototype of `name`, and the result
/// must not be called after `library` is dropped.
pub unsafe fn symbol<F: Copy>(
    library: &libloading::Library,
    library_name: &str,
    name: &'static str,
) -> Result<F, MissingSymbol> {
    // SAFETY: forwarded to the caller: `F` matches the symbol's C prototype.
    let entry = unsafe { library.get::<F>(name.as_bytes()) }.map_err(|err| MissingSymbol {
        library: library_name.to_string(),
        symbol: name,
        detail: err.to_string(),
    })?;
    Ok(*entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_entry_point_names_the_library_and_the_symbol() {
        let missing = MissingSymbol {
            library: "libnvcuvid.so.1".into(),
            symbol: "cuvidMapVideoFrame64",
            detail: "undefined symbol".into(),
        };
        assert_eq!(
            missing.to_string(),
            "libnvcuvid.so.1 has no entry point cuvidMapVideoFrame64 (undefined symbol)"
        );
    }
}
