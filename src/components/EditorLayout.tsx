import { ReactElement, ReactNode } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Field, FieldProps as GrafanaFieldProps, Icon, PopoverContent, Stack, Tooltip, useStyles2 } from '@grafana/ui';

/*
 * The query editors' layout (rows of labelled fields on a shaded
 * background), as Grafana's own query editors draw it. Written with
 * @grafana/ui alone: @grafana/plugin-ui, which has these, requires the
 * newest Grafana, and the plugin supports older ones.
 */

interface FieldProps extends Omit<GrafanaFieldProps, 'label' | 'children' | 'className'> {
  label: string;
  /** One control: Field hands it invalid and disabled. */
  children: ReactElement<{ id?: unknown }>;
  /** The id of the control the label names; by default the id of the only child. */
  htmlFor?: string;
  /** Minimum width, in Grafana's spacing units. */
  width?: number;
  optional?: boolean;
  tooltip?: PopoverContent;
  /** Whether the tooltip can be hovered (for links inside it). */
  tooltipInteractive?: boolean;
}

const childId = (child: ReactElement<{ id?: unknown }>) => (typeof child.props.id === 'string' ? child.props.id : undefined);

/** A labelled control of a query editor row, with an optional tooltip and error. */
export function EditorField({ label, children, htmlFor, width, optional, tooltip, tooltipInteractive, ...field }: FieldProps) {
  const styles = useStyles2(getFieldStyles, width);
  const labelEl = (
    <div className={styles.labelRow}>
      <label className={styles.label} htmlFor={htmlFor ?? childId(children)}>
        {label}
        {optional && <span className={styles.optional}> - optional</span>}
      </label>
      {tooltip && (
        <Tooltip placement="top" content={tooltip} theme="info" interactive={tooltipInteractive}>
          <Icon tabIndex={0} name="info-circle" size="sm" className={styles.icon} />
        </Tooltip>
      )}
    </div>
  );
  return (
    <div className={styles.root}>
      <Field className={styles.field} label={labelEl} {...field}>
        {children}
      </Field>
    </div>
  );
}

const getFieldStyles = (theme: GrafanaTheme2, width?: number) => ({
  root: css({ minWidth: theme.spacing(width ?? 0) }),
  labelRow: css({ display: 'flex', alignItems: 'center', marginBottom: theme.spacing(0.5) }),
  label: css({ fontSize: 12, fontWeight: theme.typography.fontWeightMedium }),
  optional: css({ fontStyle: 'italic', color: theme.colors.text.secondary }),
  // Field's own bottom margin would double the row's padding.
  field: css({ marginBottom: 0 }),
  icon: css({
    color: theme.colors.text.secondary,
    marginLeft: theme.spacing(1),
    ':hover': { color: theme.colors.text.primary },
  }),
});

/** One row of fields on the editor's shaded background; fields wrap when the row is narrow. */
export function EditorRow({ children }: { children: ReactNode }) {
  const styles = useStyles2(getRowStyles);
  return (
    <div className={styles.root}>
      <Stack gap={2} direction="row" wrap="wrap">
        {children}
      </Stack>
    </div>
  );
}

const getRowStyles = (theme: GrafanaTheme2) => ({
  root: css({
    padding: theme.spacing(1),
    backgroundColor: theme.colors.background.secondary,
    borderRadius: theme.shape.radius.default,
  }),
});

/** The editor's rows, stacked. */
export function EditorRows({ children }: { children: ReactNode }) {
  return (
    <Stack gap={0.5} direction="column">
      {children}
    </Stack>
  );
}
