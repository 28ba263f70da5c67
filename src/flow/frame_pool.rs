//! Fixed pools of frame buffers.
//!
//! Owns buffer recycling: a pool hands out at most `count` buffers of one
//! size; a buffer returns to its pool when dropped, wherever that happens
//! (usually on another stage's thread). Acquiring from an exhausted pool
//! blocks, so memory stays bounded whatever the length of the video.

use crossbeam_channel::{Receiver, Sender};
use std::ops::{Deref, DerefMut};

/// A pool of equally sized byte buffers.
pub struct FramePool {
    /// Buffers ready for reuse.
    free: Receiver<Vec<u8>>,
    /// Where dropped buffers go back.
    recycle: Sender<Vec<u8>>,
    /// Length of every buffer handed out (a holder may have shortened one in place).
    len: usize,
}

impl FramePool {
    /// Creates a pool of `count` zeroed buffers of `len` bytes each.
    pub fn new(count: usize, len: usize) -> Self {
        let (recycle, free) = crossbeam_channel::bounded(count);
        for _ in 0..count {
            recycle.send(vec![0; len]).expect("the pool holds its receiver");
        }
        Self { free, recycle, len }
    }

    /// Takes a buffer, blocking until one is returned if all are in use.
    pub fn acquire(&self) -> PooledBuffer {
        let mut data = self.free.recv().expect("the pool holds a sender to itself");
        data.resize(self.len, 0);
        PooledBuffer {
            data: Some(data),
            home: self.recycle.clone(),
        }
    }
}

/// A buffer on loan from a [`FramePool`]; returns itself on drop.
pub struct PooledBuffer {
    /// Always `Some` until drop.
    data: Option<Vec<u8>>,
    /// The pool to return to.
    home: Sender<Vec<u8>>,
}

impl PooledBuffer {
    /// The underlying vector, so a value type that owns its pixels (an
    /// `RgbFrame`) can borrow it with `std::mem::take` and hand it back,
    /// without copying. Its length must be restored before the buffer is used again.
    pub fn vec_mut(&mut self) -> &mut Vec<u8> {
        self.data.as_mut().expect("present until drop")
    }
}

impl Deref for PooledBuffer {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.data.as_deref().expect("present until drop")
    }
}

impl DerefMut for PooledBuffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        self.data.as_deref_mut().expect("present until drop")
    }
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        if let Some(data) = self.data.take() {
            // The pool may be gone already (shutdown); then the buffer is freed.
            let _ = self.home.try_send(data);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn buffers_come_back_on_drop_and_the_pool_blocks_when_empty() {
        let pool = FramePool::new(2, 8);
        let a = pool.acquire();
        let b = pool.acquire();
        assert_eq!(a.len(), 8);
        let (done_tx, done_rx) = crossbeam_channel::bounded(1);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let _c = pool.acquire();
                done_tx.send(()).unwrap();
            });
            assert!(
                done_rx.recv_timeout(Duration::from_millis(100)).is_err(),
                "acquire must block while both buffers are out"
            );
            drop(a);
            done_rx
                .recv_timeout(Duration::from_secs(5))
                .expect("a returned buffer unblocks acquire");
        });
        drop(b);
    }
}
