//! NVIDIA GPU discovery. `driver_probe` tells whether the driver libraries
//! exist, without linking or initialising them.

pub mod driver_probe;
