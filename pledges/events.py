"""Journal event types of the pledge registry (one writer: `pledges.services._journal`)."""

PLEDGE_REGISTERED = "pledge.registered"
PLEDGE_AMENDED = "pledge.amended"
PLEDGE_EXTENDED = "pledge.extended"
PLEDGE_RELEASED = "pledge.released"
PLEDGE_ANNULLED = "pledge.annulled"
PLEDGE_EXPIRED = "pledge.expired"
