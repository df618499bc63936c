import type { DunningTemplates } from './types';

/** Dutch dunning texts (formal "u"). */
export const nl: DunningTemplates = {
	subject: {
		firstNotice: 'Uw betaling aan {{merchantName}} is niet gelukt',
		reminder: 'Herinnering: uw betaling van {{amount}} staat nog open',
		finalNotice: 'Laatste herinnering: betaal {{amount}} uiterlijk op {{dueDate}}',
		suspended: 'Uw account bij {{merchantName}} is opgeschort',
	},
	greeting: 'Beste {{customerName}},',
	greetingAnonymous: 'Beste klant,',
	intro: {
		firstNotice: 'We konden uw betaling van {{amount}} aan {{merchantName}} helaas niet innen.',
		reminder: 'Uw betaling van {{amount}} aan {{merchantName}} staat nog open.',
		finalNotice: 'Uw betaling van {{amount}} aan {{merchantName}} staat nog open. Voldoe deze uiterlijk op {{dueDate}}, zodat uw account actief blijft.',
		suspended: 'Uw account bij {{merchantName}} is opgeschort, omdat er een betaling van {{amount}} openstaat.',
	},
	access: {
		full: '',
		grace: 'Uw account blijft in de tussentijd volledig beschikbaar.',
		limited: 'Tot de betaling binnen is, zijn sommige functies van uw account beperkt.',
		suspended: 'Zodra de betaling binnen is, herstellen we uw toegang.',
	},
	action: {
		retry: 'We proberen de betaling opnieuw op {{nextRetryAt}}. U kunt ook nu betalen of een andere betaalmethode gebruiken.',
		requestPaymentMethod: 'Werk uw betaalmethode uiterlijk op {{dueDate}} bij.',
		requestAuthentication: 'Uw bank vraagt u deze betaling te bevestigen. Bevestig deze uiterlijk op {{dueDate}}.',
		stop: 'We proberen deze betaling niet meer automatisch opnieuw. Betaal de factuur alstublieft zelf.',
	},
	linkLabel: {
		retry: 'Factuur bekijken',
		requestPaymentMethod: 'Betaalmethode bijwerken',
		requestAuthentication: 'Betaling bevestigen',
		stop: 'Factuur betalen',
	},
	linkFallback: 'Werkt de knop niet? Open dan dit adres: {{link}}',
	securityNote: 'De link opent een beveiligde pagina van Stripe, onze betaalprovider. Wij zien uw kaartgegevens nooit.',
	closing: 'Met vriendelijke groet,\n{{merchantName}}',
};
