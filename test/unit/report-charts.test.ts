import { expect } from 'chai';
import { scriptJson } from '../../server/http/report-charts.js';

describe('report chart data', () => {
  it('cannot close its <script> element or start a comment, and reads back the same', () => {
    const value = { name: '</script><script>alert(1)</script> <!-- & \u2028' };
    const json = scriptJson(value);
    expect(json).to.not.match(/[<>&\u2028]/);
    expect(JSON.parse(json)).to.deep.equal(value);
  });
});
