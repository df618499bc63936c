import type { DunningTemplates } from './types';

/** French dunning texts (vouvoiement). */
export const fr: DunningTemplates = {
	subject: {
		firstNotice: 'Votre paiement à {{merchantName}} n’a pas abouti',
		reminder: 'Rappel : votre paiement de {{amount}} est toujours en attente',
		finalNotice: 'Dernier avis : merci de régler {{amount}} avant le {{dueDate}}',
		suspended: 'Votre compte {{merchantName}} a été suspendu',
	},
	greeting: 'Bonjour {{customerName}},',
	greetingAnonymous: 'Bonjour,',
	intro: {
		firstNotice: 'Nous n’avons pas pu encaisser votre paiement de {{amount}} à {{merchantName}}.',
		reminder: 'Votre paiement de {{amount}} à {{merchantName}} est toujours en attente.',
		finalNotice: 'Votre paiement de {{amount}} à {{merchantName}} est toujours en attente. Merci de le régler avant le {{dueDate}} pour que votre compte reste actif.',
		suspended: 'Votre compte {{merchantName}} a été suspendu, car un paiement de {{amount}} est en attente.',
	},
	access: {
		full: '',
		grace: 'Votre compte reste entièrement disponible en attendant.',
		limited: 'Jusqu’au paiement, certaines fonctionnalités de votre compte sont limitées.',
		suspended: 'Votre accès sera rétabli dès réception du paiement.',
	},
	action: {
		retry: 'Nous réessaierons le paiement le {{nextRetryAt}}. Vous pouvez aussi payer dès maintenant ou utiliser un autre moyen de paiement.',
		requestPaymentMethod: 'Merci de mettre à jour votre moyen de paiement avant le {{dueDate}}.',
		requestAuthentication: 'Votre banque vous demande de confirmer ce paiement. Merci de le confirmer avant le {{dueDate}}.',
		stop: 'Nous ne réessaierons plus ce paiement automatiquement. Merci de régler la facture vous-même.',
	},
	linkLabel: {
		retry: 'Voir la facture',
		requestPaymentMethod: 'Mettre à jour le moyen de paiement',
		requestAuthentication: 'Confirmer le paiement',
		stop: 'Payer la facture',
	},
	linkFallback: 'Si le bouton ne fonctionne pas, ouvrez cette adresse : {{link}}',
	securityNote: 'Le lien ouvre une page sécurisée hébergée par Stripe, notre prestataire de paiement. Nous ne voyons jamais les données de votre carte.',
	closing: 'Merci,\n{{merchantName}}',
};
