import type { DunningTemplates } from './types';

/** Italian dunning texts (formal "Lei"). */
export const it: DunningTemplates = {
	subject: {
		firstNotice: 'Il Suo pagamento a {{merchantName}} non è andato a buon fine',
		reminder: 'Promemoria: il Suo pagamento di {{amount}} è ancora in sospeso',
		finalNotice: 'Ultimo avviso: La preghiamo di pagare {{amount}} entro il {{dueDate}}',
		suspended: 'Il Suo account {{merchantName}} è stato sospeso',
	},
	greeting: 'Gentile {{customerName}},',
	greetingAnonymous: 'Gentile cliente,',
	intro: {
		firstNotice: 'Non siamo riusciti a riscuotere il Suo pagamento di {{amount}} a {{merchantName}}.',
		reminder: 'Il Suo pagamento di {{amount}} a {{merchantName}} è ancora in sospeso.',
		finalNotice: 'Il Suo pagamento di {{amount}} a {{merchantName}} è ancora in sospeso. La preghiamo di saldarlo entro il {{dueDate}} per mantenere attivo il Suo account.',
		suspended: 'Il Suo account {{merchantName}} è stato sospeso perché un pagamento di {{amount}} è in sospeso.',
	},
	access: {
		full: '',
		grace: 'Nel frattempo il Suo account resta pienamente disponibile.',
		limited: 'Fino al pagamento, alcune funzioni del Suo account sono limitate.',
		suspended: 'L’accesso verrà ripristinato non appena riceveremo il pagamento.',
	},
	action: {
		retry: 'Riproveremo il pagamento il {{nextRetryAt}}. Può anche pagare subito o utilizzare un altro metodo di pagamento.',
		requestPaymentMethod: 'La preghiamo di aggiornare il Suo metodo di pagamento entro il {{dueDate}}.',
		requestAuthentication: 'La Sua banca chiede di confermare questo pagamento. La preghiamo di confermarlo entro il {{dueDate}}.',
		stop: 'Non riproveremo più questo pagamento automaticamente. La preghiamo di pagare la fattura direttamente.',
	},
	linkLabel: {
		retry: 'Visualizza fattura',
		requestPaymentMethod: 'Aggiorna metodo di pagamento',
		requestAuthentication: 'Conferma pagamento',
		stop: 'Paga fattura',
	},
	linkFallback: 'Se il pulsante non funziona, apra questo indirizzo: {{link}}',
	securityNote: 'Il link apre una pagina sicura gestita da Stripe, il nostro fornitore di pagamenti. Non vediamo mai i dati della Sua carta.',
	closing: 'Grazie,\n{{merchantName}}',
};
