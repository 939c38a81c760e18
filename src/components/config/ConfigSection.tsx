import { ReactNode, useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { IconButton, useStyles2 } from '@grafana/ui';

/*
 * The configuration page's sections, drawn as Grafana's own data source
 * pages draw them, with @grafana/ui alone: @grafana/plugin-ui, which has
 * them, requires the newest Grafana, and the plugin supports older ones.
 */

interface SectionProps {
  title: string;
  description?: ReactNode;
  children: ReactNode;
  /** A section under another one: a smaller title. */
  sub?: boolean;
  isCollapsible?: boolean;
  isInitiallyOpen?: boolean;
  className?: string;
}

/** A titled part of the page; a collapsible one has a button named "Expand section <title>" while closed. */
export function ConfigSection({ title, description, children, sub, isCollapsible, isInitiallyOpen = true, className }: SectionProps) {
  const styles = useStyles2(getSectionStyles, Boolean(sub));
  const [open, setOpen] = useState(isCollapsible ? isInitiallyOpen : true);
  return (
    <div className={className}>
      <div className={styles.header}>
        {sub ? <h6 className={styles.subtitle}>{title}</h6> : <h3 className={styles.title}>{title}</h3>}
        {isCollapsible && (
          <IconButton
            name={open ? 'angle-up' : 'angle-down'}
            onClick={() => setOpen(!open)}
            type="button"
            size="xl"
            aria-label={`${open ? 'Collapse' : 'Expand'} section ${title}`}
          />
        )}
      </div>
      {description && <p className={styles.description}>{description}</p>}
      {open && <div className={styles.content}>{children}</div>}
    </div>
  );
}

const getSectionStyles = (theme: GrafanaTheme2, sub: boolean) => ({
  header: css({ display: 'flex', justifyContent: 'space-between', alignItems: 'center' }),
  title: css({ margin: 0 }),
  subtitle: css({ margin: 0, fontWeight: theme.typography.fontWeightRegular }),
  description: css({
    ...theme.typography.bodySmall,
    marginTop: theme.spacing(sub ? 0.25 : 0.5),
    marginBottom: 0,
    color: theme.colors.text.secondary,
  }),
  content: css({ marginTop: theme.spacing(2) }),
});

/** The page's opening lines: what to do, where the documentation is, and what the asterisks mean. */
export function DataSourceDescription({ dataSourceName, docsLink }: { dataSourceName: string; docsLink: string }) {
  const styles = useStyles2(getDescriptionStyles);
  return (
    <div className={styles.container}>
      <p>
        {dataSourceName} reads from your company's own metrics service: give its URL and how to sign in, then
        press Save &amp; test. Provisioning files take the same settings; each is explained in{' '}
        <a href={docsLink} target="_blank" rel="noreferrer">
          the plugin's documentation
        </a>
        .
      </p>
      <p>
        <i>A * marks a required field.</i>
      </p>
    </div>
  );
}

const getDescriptionStyles = (theme: GrafanaTheme2) => ({
  container: css({
    ...theme.typography.body,
    color: theme.colors.text.secondary,
    p: { margin: 0 },
    'p + p': { marginTop: theme.spacing(2) },
    a: { color: theme.colors.text.link, textDecoration: 'underline', '&:hover': { textDecoration: 'none' } },
  }),
});
