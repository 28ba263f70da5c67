//! NVENC: whether the GPU has a usable hardware video encoder, asked of NVIDIA's
//! `libnvidia-encode` loaded at run time.
//!
//! - [`ffi`]: the hand-declared C API subset and its loader ([`NvencLibrary`]).
//! - [`probe`]: opening and closing one encode session to list the codecs the
//!   encoder offers ([`probe_nvenc`], [`NvencProbe`]).
//! - [`error`]: the module's error type ([`NvencError`]).
//!
//! Nothing here encodes video yet; the probe tells the operator at start-up whether
//! hardware encoding is possible on this GPU and, if not, why.

pub mod error;
pub(crate) mod ffi;
pub mod probe;

pub use error::NvencError;
pub use ffi::NvencLibrary;
pub use probe::{probe_device, probe_nvenc, NvencProbe};
