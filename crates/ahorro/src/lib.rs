//! Belgrano Ahorro: the shop (being built).
