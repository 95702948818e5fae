//! How the list is cut: one host or all, a search, a state, an order
//! (grouped by compose project or not), and pages of rows, done on the
//! server so a page of 100 rows costs the same with 500 containers and the
//! page count is that of the rows that match.

use serde::{Deserialize, Serialize};

use crate::container::{ContainerList, ContainerState, ContainerSummary};
use crate::error::ApiError;
use crate::ids::HostName;

/// Rows a page shows unless asked otherwise.
pub const DEFAULT_PER_PAGE: u32 = 100;
/// The smallest and largest page one may ask for.
pub const PER_PAGE_RANGE: std::ops::RangeInclusive<u32> = 5..=500;

/// How each host's containers are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListSort {
    /// Running first, then newest (the default).
    #[default]
    State,
    Name,
    /// Busiest first; containers without a number last.
    Cpu,
    Mem,
}

impl ListSort {
    /// The URL's `sort`: anything unknown is the default order.
    pub fn from_url(raw: Option<&str>) -> ListSort {
        ListSort::parse(raw).unwrap_or_default()
    }

    /// The API's `sort`, strictly.
    pub fn parse(raw: Option<&str>) -> Result<ListSort, ApiError> {
        match raw {
            None | Some("state") => Ok(ListSort::State),
            Some("name") => Ok(ListSort::Name),
            Some("cpu") => Ok(ListSort::Cpu),
            Some("mem") => Ok(ListSort::Mem),
            Some(other) => Err(ApiError::invalid("sort", format!("{other:?} is not one of state, name, cpu, mem"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ListSort::State => "state",
            ListSort::Name => "name",
            ListSort::Cpu => "cpu",
            ListSort::Mem => "mem",
        }
    }

    /// Orders one host's containers (stable: ties keep the engine's order).
    pub fn order(self, containers: &mut [ContainerSummary]) {
        let cpu = |c: &ContainerSummary| c.fleet.as_ref().and_then(|f| f.cpu_pct).filter(|v| v.is_finite());
        let mem = |c: &ContainerSummary| c.fleet.as_ref().and_then(|f| f.mem_bytes);
        match self {
            ListSort::State => containers.sort_by_key(|c| (c.state.rank(), std::cmp::Reverse(c.created))),
            ListSort::Name => containers.sort_by(|a, b| a.name.cmp(&b.name)),
            ListSort::Cpu => containers.sort_by(|a, b| match (cpu(a), cpu(b)) {
                (Some(x), Some(y)) => y.total_cmp(&x),
                (a, b) => b.is_some().cmp(&a.is_some()),
            }),
            ListSort::Mem => containers.sort_by_key(|c| std::cmp::Reverse(mem(c))),
        }
    }
}

/// Which states the list shows (`?state=`); none means every state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFilter {
    /// Running or restarting.
    Running,
    /// Created, exited or dead: not running and not paused.
    Stopped,
    Paused,
}

impl StateFilter {
    pub const ALL: [StateFilter; 3] = [StateFilter::Running, StateFilter::Stopped, StateFilter::Paused];

    /// The URL's `state`: anything unknown (or `all`) is every state.
    pub fn from_url(raw: Option<&str>) -> Option<StateFilter> {
        StateFilter::parse(raw).ok().flatten()
    }

    /// The API's `state`, strictly (`all` or none: every state).
    pub fn parse(raw: Option<&str>) -> Result<Option<StateFilter>, ApiError> {
        match raw {
            None | Some("all") => Ok(None),
            Some("running") => Ok(Some(StateFilter::Running)),
            Some("stopped") => Ok(Some(StateFilter::Stopped)),
            Some("paused") => Ok(Some(StateFilter::Paused)),
            Some(other) => {
                Err(ApiError::invalid("state", format!("{other:?} is not one of all, running, stopped, paused")))
            }
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StateFilter::Running => "running",
            StateFilter::Stopped => "stopped",
            StateFilter::Paused => "paused",
        }
    }

    pub fn matches(self, state: ContainerState) -> bool {
        match self {
            StateFilter::Running => state.is_running(),
            StateFilter::Paused => state == ContainerState::Paused,
            StateFilter::Stopped => !state.is_running() && state != ContainerState::Paused,
        }
    }
}

/// The longest search the API takes (a name is at most a few hundred bytes).
pub const MAX_SEARCH_LEN: usize = 256;

/// Whether a container matches a search (already lowercased): a substring
/// of its name, image, id or compose project, ignoring case.
pub fn matches_search(c: &ContainerSummary, needle: &str) -> bool {
    needle.is_empty()
        || [Some(c.name.as_str()), Some(c.image.as_str()), Some(c.id.as_str()), c.project.as_deref()]
            .into_iter()
            .flatten()
            .any(|field| field.to_lowercase().contains(needle))
}

/// Which page of rows, and how many there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPage {
    /// From 1.
    pub page: u32,
    pub pages: u32,
    pub per_page: u32,
    /// Rows over all pages (of the host asked for, or of every host).
    pub rows: u32,
}

/// A host's containers over all pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostCount {
    pub host: HostName,
    pub running: u32,
    pub total: u32,
}

/// What the list call asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub host: Option<HostName>,
    pub sort: ListSort,
    /// From 1; past the last page means the last page.
    pub page: u32,
    pub per_page: u32,
    /// Lowercased and trimmed; none for an empty search.
    pub q: Option<String>,
    pub state: Option<StateFilter>,
    /// Each host's rows ordered by compose project first (those without
    /// one last), so a project's rows stay together across pages.
    pub by_project: bool,
}

impl ListQuery {
    /// From the API's optional arguments, strictly: a clear 400 for any bad one.
    pub fn parse(
        host: Option<&str>,
        sort: Option<&str>,
        page: Option<u32>,
        per_page: Option<u32>,
    ) -> Result<ListQuery, ApiError> {
        let host = host.map(HostName::parse).transpose()?;
        let sort = ListSort::parse(sort)?;
        let page = page.unwrap_or(1);
        if page == 0 {
            return Err(ApiError::invalid("page", "pages count from 1"));
        }
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        if !PER_PAGE_RANGE.contains(&per_page) {
            return Err(ApiError::invalid(
                "per_page",
                format!("{per_page} is outside {}..={}", PER_PAGE_RANGE.start(), PER_PAGE_RANGE.end()),
            ));
        }
        Ok(ListQuery { host, sort, page, per_page, q: None, state: None, by_project: false })
    }

    /// Adds the search, the state and the grouping (`group`: `project` or
    /// none), strictly.
    pub fn narrowed(
        mut self,
        q: Option<&str>,
        state: Option<&str>,
        group: Option<&str>,
    ) -> Result<ListQuery, ApiError> {
        let q = q.map(str::trim).filter(|q| !q.is_empty());
        if q.is_some_and(|q| q.len() > MAX_SEARCH_LEN) {
            return Err(ApiError::invalid("q", format!("a search is at most {MAX_SEARCH_LEN} bytes")));
        }
        self.q = q.map(str::to_lowercase);
        self.state = StateFilter::parse(state)?;
        self.by_project = match group {
            None | Some("none") => false,
            Some("project") => true,
            Some(other) => return Err(ApiError::invalid("group", format!("{other:?} is not one of none, project"))),
        };
        Ok(self)
    }

    fn keeps(&self, c: &ContainerSummary) -> bool {
        self.state.is_none_or(|s| s.matches(c.state)) && self.q.as_deref().is_none_or(|q| matches_search(c, q))
    }
}

impl ContainerList {
    /// Keeps the host asked for, counts each host's containers (all of
    /// them, whatever the search), keeps those matching the search and
    /// state, orders them (by project first when grouped), and keeps one
    /// page of those rows (hosts in their order, each host's rows together).
    /// Hosts and their fleet lines stay whole.
    pub fn arrange(mut self, q: &ListQuery) -> ContainerList {
        let mut all = std::mem::take(&mut self.containers);
        if let Some(only) = &q.host {
            all.retain(|c| &c.host == only);
        }
        let mut ordered = Vec::with_capacity(all.len());
        let mut counts = Vec::new();
        for h in &self.hosts {
            let (mut mine, rest): (Vec<_>, Vec<_>) = all.into_iter().partition(|c| c.host == h.name);
            all = rest;
            if q.host.as_ref().is_some_and(|only| only != &h.name) {
                continue;
            }
            counts.push(HostCount {
                host: h.name.clone(),
                running: mine.iter().filter(|c| c.state.is_running()).count() as u32,
                total: mine.len() as u32,
            });
            mine.retain(|c| q.keeps(c));
            q.sort.order(&mut mine);
            if q.by_project {
                // Stable: each project's rows keep the order asked for.
                mine.sort_by(|a, b| match (&a.project, &b.project) {
                    (Some(x), Some(y)) => x.cmp(y),
                    (x, y) => y.is_some().cmp(&x.is_some()),
                });
            }
            ordered.extend(mine);
        }
        // Containers of a host not in the hosts list (none expected) go last.
        ordered.extend(all.into_iter().filter(|c| q.keeps(c)));
        let rows = ordered.len() as u32;
        let per_page = q.per_page.max(1);
        let pages = rows.div_ceil(per_page).max(1);
        let page = q.page.clamp(1, pages);
        let start = ((page - 1) * per_page) as usize;
        self.containers = ordered.into_iter().skip(start).take(per_page as usize).collect();
        self.counts = counts;
        self.page = Some(ListPage { page, pages, per_page, rows });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{FleetStats, HostStatus};
    use crate::ids::ContainerId;

    fn host(name: &str) -> HostStatus {
        serde_json::from_value(
            serde_json::json!({"name": name, "reachable": true, "version": null, "api_version": null}),
        )
        .unwrap()
    }

    fn c(host: &str, n: u32, state: ContainerState, cpu: Option<f32>) -> ContainerSummary {
        ContainerSummary {
            host: HostName::parse(host).unwrap(),
            id: ContainerId::parse(&format!("{n:064x}")).unwrap(),
            name: format!("c{n:03}"),
            image: "img".into(),
            state,
            status: String::new(),
            created: n as i64,
            fleet: cpu.map(|v| FleetStats { cpu_pct: Some(v), ..Default::default() }),
            fleet_missing: None,
            project: None,
            labels: Default::default(),
        }
    }

    fn list() -> ContainerList {
        let mut containers = Vec::new();
        for n in 0..12 {
            let state = if n % 3 == 0 { ContainerState::Exited } else { ContainerState::Running };
            let cpu = (state == ContainerState::Running).then_some(n as f32);
            containers.push(c(if n < 8 { "a" } else { "b" }, n, state, cpu));
        }
        ContainerList { hosts: vec![host("a"), host("b")], containers, fleet: vec![], counts: vec![], page: None }
    }

    fn names(l: &ContainerList) -> Vec<&str> {
        l.containers.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn pages_run_through_the_hosts_in_order_each_host_sorted() {
        let q = ListQuery::parse(None, Some("cpu"), Some(1), Some(5)).unwrap();
        let first = list().arrange(&q);
        // Host a by CPU, the exited ones (no number) last.
        assert_eq!(names(&first), ["c007", "c005", "c004", "c002", "c001"]);
        assert_eq!(first.page, Some(ListPage { page: 1, pages: 3, per_page: 5, rows: 12 }));
        let a = &first.counts[0];
        assert_eq!((a.host.as_str(), a.running, a.total), ("a", 5, 8));
        let second = list().arrange(&ListQuery { page: 2, ..q.clone() });
        assert_eq!(names(&second), ["c000", "c003", "c006", "c011", "c010"]);
        // Past the end: the last page.
        let last = list().arrange(&ListQuery { page: 9, ..q });
        assert_eq!(names(&last), ["c008", "c009"]);
        assert_eq!(last.page.unwrap().page, 3);
        assert_eq!(last.hosts.len(), 2, "every host stays for the filter links");
    }

    #[test]
    fn one_host_alone_and_the_default_order() {
        let q = ListQuery::parse(Some("b"), None, None, None).unwrap();
        let only_b = list().arrange(&q);
        // Running first, newest first.
        assert_eq!(names(&only_b), ["c011", "c010", "c008", "c009"]);
        assert_eq!(only_b.counts.len(), 1);
        assert_eq!(only_b.page.unwrap().rows, 4);
    }

    #[test]
    fn bad_arguments_are_refused_by_name() {
        let field = |r: Result<ListQuery, ApiError>| r.unwrap_err().field.unwrap();
        assert_eq!(field(ListQuery::parse(None, Some("size"), None, None)), "sort");
        assert_eq!(field(ListQuery::parse(None, None, Some(0), None)), "page");
        assert_eq!(field(ListQuery::parse(None, None, None, Some(4))), "per_page");
        assert_eq!(field(ListQuery::parse(None, None, None, Some(501))), "per_page");
        assert!(ListQuery::parse(Some("no such/host"), None, None, None).is_err());
        assert_eq!(ListSort::from_url(Some("size")), ListSort::State);
    }

    #[test]
    fn a_search_and_a_state_cut_the_pages_but_not_the_host_counts() {
        let mut l = list();
        l.containers[4].image = "Nginx:1.27".into();
        l.containers[5].project = Some("Web".into());
        let q = ListQuery::parse(None, None, None, Some(5)).unwrap();
        let found = |q: &ListQuery| names(&l.clone().arrange(q)).into_iter().map(String::from).collect::<Vec<_>>();
        assert_eq!(found(&q.clone().narrowed(Some(" nginx "), None, None).unwrap()), ["c004"]);
        assert_eq!(found(&q.clone().narrowed(Some("WEB"), None, None).unwrap()), ["c005"]);
        assert_eq!(found(&q.clone().narrowed(Some("c01"), None, None).unwrap()), ["c011", "c010"]);
        // The id, by a fragment of its hex.
        assert_eq!(found(&q.clone().narrowed(Some(&format!("{:064x}", 9)[58..]), None, None).unwrap()), ["c009"]);
        let stopped = l.clone().arrange(&q.clone().narrowed(None, Some("stopped"), None).unwrap());
        assert_eq!(names(&stopped), ["c006", "c003", "c000", "c009"]);
        assert_eq!(stopped.page.unwrap(), ListPage { page: 1, pages: 1, per_page: 5, rows: 4 });
        assert_eq!(stopped.counts[0].total, 8, "a host's header counts all its containers");
        let none = l.arrange(&q.narrowed(None, Some("paused"), None).unwrap());
        assert!(none.containers.is_empty());
        assert_eq!(none.page.unwrap().pages, 1);
    }

    #[test]
    fn grouped_by_project_each_projects_rows_stay_together_those_without_last() {
        let mut l = list();
        for (i, p) in [(1, "web"), (7, "db"), (4, "web"), (2, "db")] {
            l.containers[i].project = Some(p.into());
        }
        let q = ListQuery::parse(Some("a"), Some("name"), None, None).unwrap().narrowed(None, None, Some("project"));
        assert_eq!(names(&l.arrange(&q.unwrap())), ["c002", "c007", "c001", "c004", "c000", "c003", "c005", "c006"]);
    }

    #[test]
    fn a_bad_state_group_or_search_is_refused_by_name() {
        let q = ListQuery::default();
        let field = |r: Result<ListQuery, ApiError>| r.unwrap_err().field.unwrap();
        assert_eq!(field(q.clone().narrowed(None, Some("sleeping"), None)), "state");
        assert_eq!(field(q.clone().narrowed(None, None, Some("image"))), "group");
        assert_eq!(field(q.clone().narrowed(Some(&"x".repeat(MAX_SEARCH_LEN + 1)), None, None)), "q");
        assert_eq!(q.clone().narrowed(Some("  "), Some("all"), Some("none")).unwrap(), q);
        assert_eq!(StateFilter::from_url(Some("sleeping")), None);
    }
}
