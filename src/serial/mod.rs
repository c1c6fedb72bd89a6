//! Serial devices: capture trigger, barcode scanner, ESC/POS receipt printer.
//! (Being written.)
