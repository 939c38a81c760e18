import { useState } from 'react';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { Settings } from '../../settings';
import { settings } from '../../test/settings';
import { CustomHeaders, savedHeaders, withHeaders } from './CustomHeaders';

describe('custom headers in Grafana\'s standard keys', () => {
  const saved = settings({
    jsonData: { httpHeaderName2: 'X-Org', httpHeaderName1: 'X-Tenant', timeout: 5 },
    secureJsonFields: { httpHeaderValue1: true, httpHeaderValue2: true },
  });

  it('reads them in key order, values kept by Grafana', () => {
    expect(savedHeaders(saved).map((h) => [h.name, h.configured])).toEqual([
      ['X-Tenant', true],
      ['X-Org', true],
    ]);
  });

  it('writes them back numbered from 1: kept values stay kept, new ones are sent, removed ones go', () => {
    const [, org] = savedHeaders(saved);
    const next = withHeaders(saved, [org, { id: 9, name: 'X-New', value: 'v', configured: false }]);
    expect(next.jsonData).toEqual({ timeout: 5, httpHeaderName1: 'X-Org', httpHeaderName2: 'X-New' });
    expect(next.secureJsonFields).toEqual({ httpHeaderValue1: true });
    expect(next.secureJsonData).toEqual({ httpHeaderValue2: 'v' });
  });

  it('saves a header added on the page when its field loses focus', async () => {
    const changes: Settings[] = [];
    function Host() {
      const [options, setOptions] = useState(settings());
      return <CustomHeaders options={options} onOptionsChange={(o) => (changes.push(o), setOptions(o))} />;
    }
    render(<Host />);
    await userEvent.click(screen.getByRole('button', { name: 'Expand section HTTP headers' }));
    await userEvent.click(screen.getByRole('button', { name: 'Add header' }));
    await userEvent.type(screen.getByLabelText('Header'), 'X-Tenant');
    expect(changes).toHaveLength(0);
    await userEvent.type(screen.getByLabelText('Value'), 'acme');
    await userEvent.tab();
    const last = changes[changes.length - 1];
    expect(last.jsonData).toEqual({ httpHeaderName1: 'X-Tenant' });
    expect(last.secureJsonData).toEqual({ httpHeaderValue1: 'acme' });
  });
});
