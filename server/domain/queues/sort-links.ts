import type { QueueViewChoice } from './save-queue-view.js';

/** The queue page's columns, in order, and the sort each one's header asks for. */
const columnSorts = ['number', 'client', 'subject', 'type', 'priority', 'status', 'due', 'assignee'] as const;

export type ColumnSort = (typeof columnSorts)[number];

export interface SortLink {
  sort: ColumnSort;
  /** The query (the view as it is, with this sort) a click on the header sends: it saves the view too. */
  href: string;
  /** How the column is sorted now, for aria-sort; null: not by this column. */
  current: 'ascending' | 'descending' | null;
}

/**
 * The column headers' sort links: the person's filters kept, the column's sort chosen, and a second
 * click on the sorted column turns its direction.
 */
export function sortLinks(queueId: string, view: QueueViewChoice): Record<ColumnSort, SortLink> {
  const links = {} as Record<ColumnSort, SortLink>;
  for (const sort of columnSorts) {
    const sorted = view.sort === sort;
    const dir = sorted && view.dir === 'asc' ? 'desc' : 'asc';
    const query = new URLSearchParams({ view: '1' });
    for (const key of ['q', 'tenantId', 'type', 'priority', 'slaState', 'assignee'] as const)
      if (view[key]) query.set(key, view[key]);
    query.set('sort', sort);
    query.set('dir', dir);
    links[sort] = {
      sort,
      href: `/queues/${encodeURIComponent(queueId)}?${query.toString()}`,
      current: sorted ? (view.dir === 'asc' ? 'ascending' : 'descending') : null,
    };
  }
  return links;
}
