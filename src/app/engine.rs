//! The ports pipeline execution runs on, chosen at start-up and shared by the HTTP API, the
//! agent gRPC server and the schedulers.

use std::sync::Arc;

use crate::ports::clock::Clock;
use crate::ports::livelog::LiveLog;
use crate::ports::logs::LogStorage;
use crate::ports::pubsub::PubSub;
use crate::ports::queue::Queue;
use crate::ports::store::Store;

/// Handles to the execution ports; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    /// Persistence.
    pub store: Arc<dyn Store>,
    /// Workflows waiting for agents.
    pub queue: Arc<dyn Queue>,
    /// Pipeline events for live viewers.
    pub pubsub: Arc<dyn PubSub>,
    /// Lines of running steps.
    pub livelog: Arc<dyn LiveLog>,
    /// Stored step logs.
    pub logs: Arc<dyn LogStorage>,
    /// The time.
    pub clock: Arc<dyn Clock>,
}
