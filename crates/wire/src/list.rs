//! How the list is cut: one host or all, an order, and pages of rows, done
//! on the server so a page of 100 rows costs the same with 500 containers.

use serde::{Deserialize, Serialize};

use crate::container::{ContainerList, ContainerSummary};
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
        Ok(ListQuery { host, sort, page, per_page })
    }
}

impl ContainerList {
    /// Keeps the host asked for, orders each host's containers, counts
    /// them, and keeps one page of rows (hosts in their order, each host's
    /// rows together). Hosts and their fleet lines stay whole.
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
            q.sort.order(&mut mine);
            counts.push(HostCount {
                host: h.name.clone(),
                running: mine.iter().filter(|c| c.state.is_running()).count() as u32,
                total: mine.len() as u32,
            });
            ordered.extend(mine);
        }
        // Containers of a host not in the hosts list (none expected) go last.
        ordered.extend(all);
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
    use crate::container::{ContainerState, FleetStats, HostStatus};
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
}
