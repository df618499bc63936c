/** Contract tests for the HubSpot sandbox through the official @hubspot/api-client (objects, batch, properties, search, associations, auth). */
import { Client } from '@hubspot/api-client';
import { startHubSpotSandbox, type HubSpotSandbox } from '../../../sandbox/hubspot';

interface ApiError {
	code: number;
	body: { status: string; message: string; category: string; correlationId: string; context?: Record<string, string[]>; subCategory?: string };
}

/** The rejection of a client call, as the client's ApiException (code + parsed body). */
async function failure(p: Promise<unknown>): Promise<ApiError> {
	try {
		await p;
	} catch (e) {
		return e as ApiError;
	}
	throw new Error('expected the call to fail');
}

describe('HubSpot sandbox through @hubspot/api-client', () => {
	let sb: HubSpotSandbox;
	let hs: Client;

	beforeAll(async () => {
		sb = await startHubSpotSandbox({ rateLimit: false });
		hs = new Client({ accessToken: sb.token, basePath: sb.url, numberOfApiCallRetries: 0 });
	});
	afterAll(() => sb.close());

	it('creates, reads, updates and archives a contact', async () => {
		const created = await hs.crm.contacts.basicApi.create({ properties: { email: 'Ada@Example.com', firstname: 'Ada', lifecyclestage: 'lead' }, associations: [] });
		expect(created.id).toMatch(/^\d+$/);
		expect(created.properties).toMatchObject({ email: 'ada@example.com', firstname: 'Ada', lifecyclestage: 'lead', hs_object_id: created.id });
		expect(created.createdAt).toBeInstanceOf(Date);

		const read = await hs.crm.contacts.basicApi.getById(created.id, ['email', 'phone']);
		expect(read.properties.email).toBe('ada@example.com');
		expect(read.properties.phone).toBeNull();
		expect(Object.keys(read.properties).sort()).toEqual(['createdate', 'email', 'hs_object_id', 'lastmodifieddate', 'phone']);

		const byEmail = await hs.crm.contacts.basicApi.getById('ada@example.com', undefined, undefined, undefined, false, 'email');
		expect(byEmail.id).toBe(created.id);
		expect(Object.keys(byEmail.properties).sort()).toEqual(['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname']);

		const updated = await hs.crm.contacts.basicApi.update(created.id, { properties: { lastname: 'Lovelace' } });
		expect(updated.properties).toMatchObject({ firstname: 'Ada', lastname: 'Lovelace' });
		expect(sb.findBy('contacts', 'email', 'ada@example.com')?.properties.lastname).toBe('Lovelace');

		const dup = await failure(hs.crm.contacts.basicApi.create({ properties: { email: 'ada@example.com' }, associations: [] }));
		expect(dup.code).toBe(409);
		expect(dup.body).toMatchObject({ status: 'error', category: 'CONFLICT', message: `Contact already exists. Existing ID: ${created.id}` });

		await hs.crm.contacts.basicApi.archive(created.id);
		const gone = await failure(hs.crm.contacts.basicApi.getById(created.id));
		expect(gone.code).toBe(404);
		expect(gone.body).toMatchObject({ status: 'error', category: 'OBJECT_NOT_FOUND' });
		expect(gone.body.correlationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
		expect(sb.objects('contacts').find((o) => o.id === created.id)?.archived).toBe(true);
	});

	it('validates property values as HubSpot does', async () => {
		const bad = await failure(hs.crm.contacts.basicApi.create({ properties: { email: 'not-an-email', nosuchprop: 'x', lifecyclestage: 'wizard' }, associations: [] }));
		expect(bad.code).toBe(400);
		expect(bad.body.category).toBe('VALIDATION_ERROR');
		expect(bad.body.message).toMatch(/^Property values were not valid: /);
		const listed = JSON.parse(bad.body.message.replace('Property values were not valid: ', '')) as Array<{ error: string; name: string }>;
		expect(listed.map((e) => [e.name, e.error])).toEqual([['email', 'INVALID_EMAIL'], ['nosuchprop', 'PROPERTY_DOESNT_EXIST'], ['lifecyclestage', 'INVALID_OPTION']]);

		const readOnly = await failure(hs.crm.contacts.basicApi.create({ properties: { hs_object_id: '5' }, associations: [] }));
		expect(readOnly.body.message).toContain('READ_ONLY_VALUE');
		const noTimestamp = await failure(hs.crm.objects.tasks.basicApi.create({ properties: { hs_task_subject: 'Call' }, associations: [] }));
		expect(noTimestamp.code).toBe(400);
		expect(noTimestamp.body.message).toContain('hs_timestamp');
		const badNumber = await failure(hs.crm.companies.basicApi.create({ properties: { name: 'X', numberofemployees: 'many' }, associations: [] }));
		expect(badNumber.body.message).toContain('INVALID_NUMBER');
		const badDate = await failure(hs.crm.objects.notes.basicApi.create({ properties: { hs_note_body: 'x', hs_timestamp: 'yesterday' }, associations: [] }));
		expect(badDate.body.message).toContain('INVALID_DATETIME');
		const unknownType = await failure(hs.crm.objects.basicApi.getPage('widgets'));
		expect(unknownType.code).toBe(400);
		expect(unknownType.body.message).toBe('Unable to infer object type from: widgets');
	});

	it('batch-upserts contacts by email: creates, then updates (new true then false)', async () => {
		const inputs = [
			{ idProperty: 'email', id: 'grace@example.com', properties: { firstname: 'Grace' } },
			{ idProperty: 'email', id: 'linus@example.com', properties: { firstname: 'Linus' } },
		];
		const first = await hs.crm.contacts.batchApi.upsert({ inputs });
		expect(first.status).toBe('COMPLETE');
		expect(first.results.map((r) => [r.properties.email, r._new])).toEqual([['grace@example.com', true], ['linus@example.com', true]]);
		const second = await hs.crm.contacts.batchApi.upsert({ inputs: inputs.map((i) => ({ ...i, properties: { lastname: 'Again' } })) });
		expect(second.results.map((r) => r._new)).toEqual([false, false]);
		expect(second.results.map((r) => r.id).sort()).toEqual(first.results.map((r) => r.id).sort());
		expect(sb.findBy('contacts', 'email', 'grace@example.com')?.properties).toMatchObject({ firstname: 'Grace', lastname: 'Again' });
	});

	it('answers 207 when one upsert input is invalid, applying the others', async () => {
		const before = sb.objects('contacts').length;
		const res = await hs.crm.contacts.batchApi.upsertWithHttpInfo({
			inputs: [
				{ idProperty: 'email', id: 'one@example.com', properties: { firstname: 'One' } },
				{ idProperty: 'email', id: 'broken-address', properties: { firstname: 'Bad' } },
				{ idProperty: 'email', id: 'two@example.com', properties: { firstname: 'Two' } },
			],
		});
		expect(res.httpStatusCode).toBe(207);
		const body = res.data as typeof res.data & { numErrors: number; errors: Array<{ status: string; category: string; message: string; context: Record<string, string[]> }> };
		expect(body.results).toHaveLength(2);
		expect(body.numErrors).toBe(1);
		expect(body.errors[0]).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR', context: { ids: ['broken-address'] } });
		expect(body.errors[0].message).toContain('INVALID_EMAIL');
		expect(sb.objects('contacts').length).toBe(before + 2);
	});

	it('rejects batches of more than 100 inputs and duplicate ids', async () => {
		const inputs = Array.from({ length: 101 }, (_v, i) => ({ idProperty: 'email', id: `bulk${i}@example.com`, properties: {} }));
		const tooMany = await failure(hs.crm.contacts.batchApi.upsert({ inputs }));
		expect(tooMany.code).toBe(400);
		expect(tooMany.body.category).toBe('VALIDATION_ERROR');
		expect(sb.findBy('contacts', 'email', 'bulk0@example.com')).toBeUndefined();
		const ok = await hs.crm.contacts.batchApi.upsert({ inputs: inputs.slice(0, 100) });
		expect(ok.results).toHaveLength(100);

		const dup = await failure(hs.crm.contacts.batchApi.upsert({ inputs: [inputs[0], { ...inputs[0], id: 'BULK0@example.com' }] }));
		expect(dup.code).toBe(400);
		expect(dup.body.message).toBe('Duplicate IDs found in batch input: [bulk0@example.com]. IDs must be unique');
		const tooManyCreates = await failure(hs.crm.companies.batchApi.create({ inputs: Array.from({ length: 101 }, () => ({ properties: { name: 'x' }, associations: [] })) }));
		expect(tooManyCreates.code).toBe(400);
	});

	it('creates a property group and properties, then upserts with the custom property; an undefined one fails', async () => {
		const group = await hs.crm.properties.groupsApi.create('contacts', { name: 'revops', label: 'RevOps', displayOrder: 1 });
		expect(group).toMatchObject({ name: 'revops', label: 'RevOps', archived: false });
		const prop = await hs.crm.properties.coreApi.create('contacts', {
			name: 'stripe_customer_id', label: 'Stripe customer', type: 'string' as never, fieldType: 'text' as never, groupName: 'revops',
		});
		expect(prop).toMatchObject({ name: 'stripe_customer_id', type: 'string', fieldType: 'text', groupName: 'revops', hasUniqueValue: false });
		const plan = await hs.crm.properties.coreApi.create('contacts', {
			name: 'stripe_plan', label: 'Plan', type: 'enumeration' as never, fieldType: 'select' as never, groupName: 'revops',
			options: [{ label: 'Pro', value: 'pro', displayOrder: 0, hidden: false }, { label: 'Team', value: 'team', displayOrder: 1, hidden: false }],
		});
		expect(plan.options.map((o) => o.value)).toEqual(['pro', 'team']);
		expect((await hs.crm.properties.coreApi.getByName('contacts', 'stripe_plan')).label).toBe('Plan');
		expect(sb.propertyDefinitions('contacts').map((p) => p.name)).toContain('stripe_customer_id');

		const dup = await failure(hs.crm.properties.coreApi.create('contacts', { name: 'stripe_customer_id', label: 'Again', type: 'string' as never, fieldType: 'text' as never, groupName: 'revops' }));
		expect(dup.code).toBe(409);
		expect(dup.body.status).toBe('error');
		const noGroup = await failure(hs.crm.properties.coreApi.create('contacts', { name: 'x_prop', label: 'X', type: 'string' as never, fieldType: 'text' as never, groupName: 'nope' }));
		expect(noGroup.code).toBe(404);
		const badPair = await failure(hs.crm.properties.coreApi.create('contacts', { name: 'y_prop', label: 'Y', type: 'number' as never, fieldType: 'select' as never, groupName: 'revops' }));
		expect(badPair.code).toBe(400);
		const badName = await failure(hs.crm.properties.coreApi.create('contacts', { name: 'Bad Name', label: 'Y', type: 'string' as never, fieldType: 'text' as never, groupName: 'revops' }));
		expect(badName.code).toBe(400);
		const noOptions = await failure(hs.crm.properties.coreApi.create('contacts', { name: 'z_prop', label: 'Z', type: 'enumeration' as never, fieldType: 'select' as never, groupName: 'revops' }));
		expect(noOptions.code).toBe(400);

		const up = await hs.crm.contacts.batchApi.upsert({ inputs: [{ idProperty: 'email', id: 'custom@example.com', properties: { stripe_customer_id: 'cus_123', stripe_plan: 'pro' } }] });
		expect(up.results[0].properties).toMatchObject({ stripe_customer_id: 'cus_123', stripe_plan: 'pro' });
		const res = await hs.crm.contacts.batchApi.upsertWithHttpInfo({ inputs: [{ idProperty: 'email', id: 'custom@example.com', properties: { stripe_subscription_id: 'sub_1' } }] });
		expect(res.httpStatusCode).toBe(207);
		const body = res.data as typeof res.data & { errors: Array<{ message: string }> };
		expect(body.results).toHaveLength(0);
		expect(body.errors[0].message).toContain('PROPERTY_DOESNT_EXIST');
		const badOption = await failure(hs.crm.contacts.basicApi.update(up.results[0].id, { properties: { stripe_plan: 'enterprise' } }));
		expect(badOption.body.message).toContain('INVALID_OPTION');

		const batch = await hs.crm.properties.batchApi.read('contacts', { archived: false, inputs: [{ name: 'stripe_plan' }, { name: 'email' }] });
		expect(batch.results.map((p) => p.name).sort()).toEqual(['email', 'stripe_plan']);
	});

	it('upserts companies by a unique custom property, not by domain', async () => {
		const byDomain = await failure(hs.crm.companies.batchApi.upsert({ inputs: [{ idProperty: 'domain', id: 'acme.com', properties: { name: 'Acme' } }] }));
		expect(byDomain.code).toBe(400);
		expect(byDomain.body.message).toContain('non-unique');

		await hs.crm.properties.coreApi.create('companies', { name: 'stripe_account_id', label: 'Stripe account', type: 'string' as never, fieldType: 'text' as never, groupName: 'companyinformation', hasUniqueValue: true });
		const first = await hs.crm.companies.batchApi.upsert({ inputs: [{ idProperty: 'stripe_account_id', id: 'acct_1', properties: { name: 'Acme', domain: 'acme.com' } }] });
		expect(first.results[0]).toMatchObject({ _new: true, properties: { stripe_account_id: 'acct_1', name: 'Acme' } });
		const second = await hs.crm.companies.batchApi.upsert({ inputs: [{ idProperty: 'stripe_account_id', id: 'acct_1', properties: { name: 'Acme Inc' } }] });
		expect(second.results[0]).toMatchObject({ _new: false, id: first.results[0].id });
		expect(sb.findBy('companies', 'stripe_account_id', 'acct_1')?.properties.name).toBe('Acme Inc');

		const clash = await failure(hs.crm.companies.basicApi.create({ properties: { name: 'Copy', stripe_account_id: 'acct_1' }, associations: [] }));
		expect(clash.code).toBe(409);
	});

	it('searches with filters, sorts and paging', async () => {
		await hs.crm.contacts.batchApi.create({
			inputs: Array.from({ length: 7 }, (_v, i) => ({ properties: { email: `search${i}@corp.test`, firstname: `S${i}`, company: i % 2 ? 'Odd Corp' : 'Even Corp', lifecyclestage: i < 3 ? 'customer' : 'lead' }, associations: [] })),
		});
		const page1 = await hs.crm.contacts.searchApi.doSearch({
			filterGroups: [{ filters: [{ propertyName: 'email', operator: 'CONTAINS_TOKEN' as never, value: '*@corp.test' }] }],
			properties: ['email', 'company'], sorts: ['email'], limit: 3,
		});
		expect(page1.total).toBe(7);
		expect(page1.results.map((r) => r.properties.email)).toEqual(['search0@corp.test', 'search1@corp.test', 'search2@corp.test']);
		expect(page1.paging?.next?.after).toBe('3');
		const page3 = await hs.crm.contacts.searchApi.doSearch({ filterGroups: [{ filters: [{ propertyName: 'email', operator: 'CONTAINS_TOKEN' as never, value: '*@corp.test' }] }], sorts: ['email'], limit: 3, after: '6' });
		expect(page3.results).toHaveLength(1);
		expect(page3.paging).toBeUndefined();

		const customersOrOdd = await hs.crm.contacts.searchApi.doSearch({
			filterGroups: [
				{ filters: [{ propertyName: 'lifecyclestage', operator: 'EQ' as never, value: 'customer' }, { propertyName: 'email', operator: 'CONTAINS_TOKEN' as never, value: '*@corp.test' }] },
				{ filters: [{ propertyName: 'company', operator: 'IN' as never, values: ['odd corp'] }, { propertyName: 'firstname', operator: 'NEQ' as never, value: 'S5' }] },
			],
			properties: ['firstname'], limit: 100,
		});
		expect(customersOrOdd.results.map((r) => r.properties.firstname).sort()).toEqual(['S0', 'S1', 'S2', 'S3']);
		const noPhone = await hs.crm.contacts.searchApi.doSearch({ filterGroups: [{ filters: [{ propertyName: 'phone', operator: 'NOT_HAS_PROPERTY' as never }, { propertyName: 'email', operator: 'CONTAINS_TOKEN' as never, value: 'search6@corp.test' }] }], limit: 10 });
		expect(noPhone.total).toBe(1);
		const recent = await hs.crm.contacts.searchApi.doSearch({ filterGroups: [{ filters: [{ propertyName: 'createdate', operator: 'GTE' as never, value: String(Date.now() - 60_000) }, { propertyName: 'hs_object_id', operator: 'GT' as never, value: '0' }] }], limit: 200 });
		expect(recent.total).toBeGreaterThanOrEqual(7);

		const tooBig = await failure(hs.crm.contacts.searchApi.doSearch({ limit: 201 }));
		expect(tooBig.code).toBe(400);
		const unknown = await failure(hs.crm.contacts.searchApi.doSearch({ filterGroups: [{ filters: [{ propertyName: 'nope', operator: 'EQ' as never, value: 'x' }] }] }));
		expect(unknown.code).toBe(400);
	});

	it('creates tasks and notes associated with a contact, visible through the v4 associations API', async () => {
		const contact = await hs.crm.contacts.basicApi.create({ properties: { email: 'assoc@example.com' }, associations: [] });
		const company = await hs.crm.companies.basicApi.create({ properties: { name: 'Assoc Co' }, associations: [] });
		const task = await hs.crm.objects.tasks.basicApi.create({
			properties: { hs_task_subject: 'Follow up', hs_timestamp: new Date().toISOString(), hs_task_status: 'NOT_STARTED', hs_task_priority: 'HIGH' },
			associations: [
				{ to: { id: contact.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 204 }] },
				{ to: { id: company.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 192 }] },
			],
		});
		const note = await hs.crm.objects.notes.basicApi.create({
			properties: { hs_note_body: 'Payment failed twice', hs_timestamp: String(Date.now()) },
			associations: [{ to: { id: contact.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 202 }] }],
		});
		const tasks = await hs.crm.associations.v4.basicApi.getPage('contacts', contact.id, 'tasks');
		expect(tasks.results).toEqual([{ toObjectId: Number(task.id), associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 203, label: null }] }]);
		const notes = await hs.crm.associations.v4.basicApi.getPage('contacts', contact.id, 'notes');
		expect(notes.results.map((r) => String(r.toObjectId))).toEqual([note.id]);
		expect(sb.associations('tasks', task.id, 'companies')).toEqual([company.id]);
		expect(sb.associations('companies', company.id, 'tasks')).toEqual([task.id]);

		const wrongType = await failure(hs.crm.objects.notes.basicApi.create({ properties: { hs_note_body: 'x', hs_timestamp: String(Date.now()) }, associations: [{ to: { id: contact.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 999 }] }] }));
		expect(wrongType.code).toBe(400);
		const missingTarget = await failure(hs.crm.objects.notes.basicApi.create({ properties: { hs_note_body: 'x', hs_timestamp: String(Date.now()) }, associations: [{ to: { id: '1' }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 202 }] }] }));
		expect(missingTarget.code).toBe(400);

		const put = await hs.crm.associations.v4.basicApi.createDefault('contacts', contact.id, 'companies', company.id);
		expect(put.status).toBe('COMPLETE');
		expect(put.results[0]).toMatchObject({ _from: { id: contact.id }, to: { id: company.id }, associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 279 } });
		const other = await hs.crm.companies.basicApi.create({ properties: { name: 'Other Co' }, associations: [] });
		const batch = await hs.crm.associations.v4.batchApi.createDefault('contacts', 'companies', { inputs: [{ _from: { id: contact.id }, to: { id: other.id } }] });
		expect(batch.results.length).toBeGreaterThan(0);
		const companies = await hs.crm.associations.v4.basicApi.getPage('contacts', contact.id, 'companies');
		expect(companies.results.map((r) => String(r.toObjectId)).sort()).toEqual([company.id, other.id].sort());
		const fromCompany = await hs.crm.associations.v4.basicApi.getPage('companies', company.id, 'contacts');
		expect(fromCompany.results[0].associationTypes[0].typeId).toBe(280);
		const absent = await failure(hs.crm.associations.v4.basicApi.createDefault('contacts', contact.id, 'companies', '12345'));
		expect(absent.code).toBe(404);
	});

	it('lists objects with paging', async () => {
		const page = await hs.crm.companies.basicApi.getPage(2, undefined, ['name']);
		expect(page.results).toHaveLength(2);
		expect(page.paging?.next?.after).toBeDefined();
		const next = await hs.crm.companies.basicApi.getPage(2, page.paging!.next!.after, ['name']);
		expect(next.results[0].id).not.toBe(page.results[1].id);
		expect(Number(next.results[0].id)).toBeGreaterThan(Number(page.results[1].id));
		expect((await failure(hs.crm.companies.basicApi.getPage(101))).code).toBe(400);
	});

	it('batch-reads and batch-archives, and manages property definitions and groups', async () => {
		const created = await hs.crm.companies.batchApi.create({ inputs: [{ properties: { name: 'B1' }, associations: [] }, { properties: { name: 'B2' }, associations: [] }] });
		expect(created.results).toHaveLength(2);
		const ids = created.results.map((r) => r.id);
		const read = await hs.crm.companies.batchApi.readWithHttpInfo({ inputs: [{ id: ids[0] }, { id: '999' }], properties: ['name'], propertiesWithHistory: [] });
		expect(read.httpStatusCode).toBe(207);
		expect(read.data.results.map((r) => r.properties.name)).toEqual(['B1']);
		await hs.crm.companies.batchApi.archive({ inputs: ids.map((id) => ({ id })) });
		expect(sb.objects('companies').filter((o) => ids.includes(o.id)).every((o) => o.archived)).toBe(true);

		await hs.crm.properties.groupsApi.create('companies', { name: 'billing', label: 'Billing' });
		expect((await hs.crm.properties.groupsApi.getAll('companies')).results.map((g) => g.name)).toContain('billing');
		expect((await hs.crm.properties.groupsApi.update('companies', 'billing', { label: 'Billing data' })).label).toBe('Billing data');
		const mrr = await hs.crm.properties.coreApi.create('companies', { name: 'mrr', label: 'MRR', type: 'number' as never, fieldType: 'number' as never, groupName: 'billing' });
		expect(mrr.type).toBe('number');
		expect((await hs.crm.properties.coreApi.update('companies', 'mrr', { label: 'Monthly revenue' })).label).toBe('Monthly revenue');
		expect((await failure(hs.crm.properties.coreApi.update('companies', 'name', { label: 'Renamed' }))).code).toBe(400);
		expect((await failure(hs.crm.properties.coreApi.archive('companies', 'domain'))).code).toBe(400);
		expect((await failure(hs.crm.properties.groupsApi.archive('companies', 'billing'))).code).toBe(409);
		await hs.crm.properties.coreApi.archive('companies', 'mrr');
		expect((await failure(hs.crm.properties.coreApi.getByName('companies', 'mrr'))).code).toBe(404);
		await hs.crm.properties.groupsApi.archive('companies', 'billing');
		expect((await hs.crm.properties.coreApi.getAll('companies')).results.map((p) => p.name)).toEqual(expect.arrayContaining(['name', 'domain', 'stripe_account_id']));
		const batch = await hs.crm.properties.batchApi.create('companies', { inputs: [{ name: 'seats', label: 'Seats', type: 'number' as never, fieldType: 'number' as never, groupName: 'companyinformation' }] });
		expect(batch.results.map((p) => p.name)).toEqual(['seats']);
	});

	it('answers 401 with HubSpot\'s body for a wrong token', async () => {
		const wrong = new Client({ accessToken: 'pat-na1-wrong', basePath: sb.url, numberOfApiCallRetries: 0 });
		const e = await failure(wrong.crm.contacts.basicApi.getPage());
		expect(e.code).toBe(401);
		expect(e.body).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
		expect(e.body.message).toMatch(/^Authentication credentials not found/);
		expect(sb.requests().at(-1)).toMatchObject({ method: 'GET', path: '/crm/v3/objects/contacts', status: 401 });
	});
});
