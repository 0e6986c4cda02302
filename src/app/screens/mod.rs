//! The screens. Each owns its state, its keys (`on_key`, given the shared
//! parts of the app as a [`Cx`](crate::app::context::Cx)) and its drawing
//! (`draw`, given a [`Vcx`](crate::app::context::Vcx)); the router in
//! [`update`](mod@crate::app::update) and the composer in
//! [`view`](mod@crate::app::view) pick the one on screen.

pub mod incident;
pub mod picker;
pub mod review;
pub mod start;
