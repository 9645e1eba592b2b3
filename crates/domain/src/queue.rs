//! The workbench's queues (工作队列): which cases wait for whom. The store turns a queue into
//! a filter; this module says what each queue holds and which roles work on it.

use crate::access::Role;
use crate::case::{CaseRecord, CaseState, DueStatus};

/// A queue of cases waiting for someone's move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Queue {
    /// 待立案: received, not yet registered.
    ToRegister,
    /// 待派遣: registered and never sent back.
    ToDispatch,
    /// 退单: registered again after a unit returned it.
    Returned,
    /// 我的: what this role acts on next (a unit's open cases, a supervisor's cases to check…).
    Mine,
    /// 即将超期: pending with a deadline close.
    DueSoon,
    /// 已超期: pending past a deadline.
    Overdue,
}

impl Queue {
    pub const ALL: [Queue; 6] =
        [Queue::ToRegister, Queue::ToDispatch, Queue::Returned, Queue::Mine, Queue::DueSoon, Queue::Overdue];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ToRegister => "to_register",
            Self::ToDispatch => "to_dispatch",
            Self::Returned => "returned",
            Self::Mine => "mine",
            Self::DueSoon => "due_soon",
            Self::Overdue => "overdue",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::ToRegister => "待立案",
            Self::ToDispatch => "待派遣",
            Self::Returned => "退单",
            Self::Mine => "我的待办",
            Self::DueSoon => "即将超期",
            Self::Overdue => "已超期",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::ToRegister => "to register",
            Self::ToDispatch => "to dispatch",
            Self::Returned => "returned",
            Self::Mine => "my work",
            Self::DueSoon => "due soon",
            Self::Overdue => "overdue",
        }
    }

    /// The queues a role's workbench shows, its first one opening by default.
    pub fn for_role(role: Role) -> &'static [Queue] {
        use Queue::*;
        match role {
            Role::Dispatcher => &[ToRegister, ToDispatch, Returned, DueSoon, Overdue],
            Role::Operator | Role::Handler | Role::GridWorker | Role::Supervisor => &[Mine, DueSoon, Overdue],
            Role::Admin => &[ToRegister, ToDispatch, Returned, DueSoon, Overdue],
            Role::Leader => &[],
        }
    }

    /// The states a case of this queue is in, for `role`.
    pub fn states(self, role: Role) -> &'static [CaseState] {
        use CaseState::*;
        match self {
            Self::ToRegister => &[Received],
            Self::ToDispatch | Self::Returned => &[Registered],
            Self::DueSoon | Self::Overdue => &[Received, Registered, Dispatched, InProgress],
            Self::Mine => match role {
                // Calls just taken in that nobody has registered yet.
                Role::Operator => &[Received],
                Role::Handler => &[Dispatched, InProgress],
                // Extensions to decide, results to check and close.
                Role::Supervisor => &[InProgress, Handled, Verifying],
                // Their grids' open cases, and results to verify on the spot.
                Role::GridWorker => &[Received, Registered, Dispatched, InProgress, Handled, Verifying],
                Role::Dispatcher | Role::Admin | Role::Leader => &[Received, Registered],
            },
        }
    }

    /// Whether `case` belongs in this queue for `role` (the store applies the same rule in SQL).
    pub fn holds(self, role: Role, case: &CaseRecord) -> bool {
        self.admits(role, &QueueFacets::of(case))
    }

    /// Whether a case with these facets belongs in this queue for `role`: the rule of
    /// [`Queue::holds`], which reads nothing else of a case, so that counts kept by facets
    /// (`rollups::OpenKey`) give every queue's size.
    pub fn admits(self, role: Role, case: &QueueFacets) -> bool {
        if !self.states(role).contains(&case.state) {
            return false;
        }
        match self {
            Self::ToDispatch => !case.returned,
            Self::Returned => case.returned,
            Self::DueSoon => case.due_status == DueStatus::DueSoon,
            Self::Overdue => case.due_status == DueStatus::Overdue,
            // A supervisor's in-progress cases are theirs only while an extension waits.
            Self::Mine if role == Role::Supervisor && case.state == CaseState::InProgress => case.extension_pending,
            Self::ToRegister | Self::Mine => true,
        }
    }
}

/// What the queues tell apart of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueueFacets {
    pub state: CaseState,
    pub due_status: DueStatus,
    /// Sent back by a unit at least once (退单).
    pub returned: bool,
    /// An extension of its deadline waits for a supervisor.
    pub extension_pending: bool,
}

impl QueueFacets {
    pub fn of(case: &CaseRecord) -> Self {
        Self {
            state: case.state,
            due_status: case.due_status,
            returned: case.return_count > 0,
            extension_pending: case.pending_extension.is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_round_trip_and_every_working_role_has_some() {
        for q in Queue::ALL {
            assert_eq!(Queue::parse(q.as_str()), Some(q));
        }
        assert_eq!(Queue::parse("everything"), None);
        for role in Role::ALL.iter().copied().filter(|r| *r != Role::Leader) {
            assert!(!Queue::for_role(role).is_empty(), "{role:?}");
        }
        assert!(Queue::for_role(Role::Leader).is_empty(), "leaders work with aggregates");
    }
}
