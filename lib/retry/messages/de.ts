import type { DunningTemplates } from './types';

/** German dunning texts (formal "Sie"). */
export const de: DunningTemplates = {
	subject: {
		firstNotice: 'Ihre Zahlung an {{merchantName}} ist fehlgeschlagen',
		reminder: 'Erinnerung: Ihre Zahlung über {{amount}} ist noch offen',
		finalNotice: 'Letzte Mahnung: Bitte zahlen Sie {{amount}} bis {{dueDate}}',
		suspended: 'Ihr Konto bei {{merchantName}} wurde gesperrt',
	},
	greeting: 'Guten Tag {{customerName}},',
	greetingAnonymous: 'Guten Tag,',
	intro: {
		firstNotice: 'Ihre Zahlung über {{amount}} an {{merchantName}} konnte leider nicht eingezogen werden.',
		reminder: 'Ihre Zahlung über {{amount}} an {{merchantName}} ist noch offen.',
		finalNotice: 'Ihre Zahlung über {{amount}} an {{merchantName}} ist noch offen. Bitte begleichen Sie sie bis {{dueDate}}, damit Ihr Konto aktiv bleibt.',
		suspended: 'Ihr Konto bei {{merchantName}} wurde gesperrt, weil eine Zahlung über {{amount}} offen ist.',
	},
	access: {
		full: '',
		grace: 'Bis dahin steht Ihnen Ihr Konto weiterhin vollständig zur Verfügung.',
		limited: 'Bis zum Zahlungseingang sind einige Funktionen Ihres Kontos eingeschränkt.',
		suspended: 'Sobald die Zahlung eingegangen ist, wird Ihr Zugang wiederhergestellt.',
	},
	action: {
		retry: 'Wir versuchen die Zahlung am {{nextRetryAt}} erneut. Sie können auch jetzt bezahlen oder eine andere Zahlungsmethode hinterlegen.',
		requestPaymentMethod: 'Bitte aktualisieren Sie Ihre Zahlungsmethode bis {{dueDate}}.',
		requestAuthentication: 'Ihre Bank bittet Sie, diese Zahlung zu bestätigen. Bitte bestätigen Sie sie bis {{dueDate}}.',
		stop: 'Wir werden diese Zahlung nicht erneut automatisch einziehen. Bitte begleichen Sie die Rechnung selbst.',
	},
	linkLabel: {
		retry: 'Rechnung ansehen',
		requestPaymentMethod: 'Zahlungsmethode aktualisieren',
		requestAuthentication: 'Zahlung bestätigen',
		stop: 'Rechnung bezahlen',
	},
	linkFallback: 'Falls die Schaltfläche nicht funktioniert, öffnen Sie diese Adresse: {{link}}',
	securityNote: 'Der Link öffnet eine sichere Seite unseres Zahlungsdienstleisters Stripe. Ihre Kartendaten sehen wir nie.',
	closing: 'Vielen Dank\n{{merchantName}}',
};
