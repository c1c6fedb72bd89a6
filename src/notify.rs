//! systemd integration: READY and watchdog notifications. (Being written.)
