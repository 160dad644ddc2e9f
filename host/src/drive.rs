//! Driving a future that must complete without waiting: the loader of a sync store (its
//! phases are `async fn`s shared with async stores) and the library search outside any store.
//! Everything such a future awaits completes at once, so one poll with a no-op waker ends it.
//! Should it pend all the same, the caller gets [`WouldBlock`], never a block or a spin.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// The error when a future that had to complete at once waited.
#[derive(Debug)]
pub(crate) struct WouldBlock;

impl std::fmt::Display for WouldBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "wasi-dl: the loader had to wait for a future in a store set up with \
             add_to_linker_sync; a store that awaits needs add_to_linker_async",
        )
    }
}

impl std::error::Error for WouldBlock {}

/// Runs `future`, which must not wait, to its end with one poll.
pub(crate) fn now<F: Future>(future: F) -> Result<F::Output, WouldBlock> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => Ok(output),
        Poll::Pending => Err(WouldBlock),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_future_that_waits_is_an_error_not_a_hang() {
        assert_eq!(now(async { 7 }).ok(), Some(7));
        let mut polled = false;
        let waits = std::future::poll_fn(|_| {
            if polled {
                Poll::Ready(())
            } else {
                polled = true;
                Poll::Pending
            }
        });
        let err = now(waits).unwrap_err();
        assert!(err.to_string().contains("add_to_linker_async"), "{err}");
    }
}
