import type { DunningTemplates } from './types';

/** Spanish dunning texts (formal "usted"). */
export const es: DunningTemplates = {
	subject: {
		firstNotice: 'No se ha podido realizar su pago a {{merchantName}}',
		reminder: 'Recordatorio: su pago de {{amount}} sigue pendiente',
		finalNotice: 'Último aviso: le rogamos que pague {{amount}} antes del {{dueDate}}',
		suspended: 'Su cuenta de {{merchantName}} ha sido suspendida',
	},
	greeting: 'Hola, {{customerName}}:',
	greetingAnonymous: 'Hola:',
	intro: {
		firstNotice: 'No hemos podido cobrar su pago de {{amount}} a {{merchantName}}.',
		reminder: 'Su pago de {{amount}} a {{merchantName}} sigue pendiente.',
		finalNotice: 'Su pago de {{amount}} a {{merchantName}} sigue pendiente. Le rogamos que lo abone antes del {{dueDate}} para mantener su cuenta activa.',
		suspended: 'Su cuenta de {{merchantName}} ha sido suspendida porque hay un pago pendiente de {{amount}}.',
	},
	access: {
		full: '',
		grace: 'Mientras tanto, su cuenta sigue plenamente disponible.',
		limited: 'Hasta que se realice el pago, algunas funciones de su cuenta están limitadas.',
		suspended: 'Restableceremos su acceso en cuanto recibamos el pago.',
	},
	action: {
		retry: 'Volveremos a intentar el cobro el {{nextRetryAt}}. También puede pagar ahora o usar otro método de pago.',
		requestPaymentMethod: 'Le rogamos que actualice su método de pago antes del {{dueDate}}.',
		requestAuthentication: 'Su banco le pide que confirme este pago. Le rogamos que lo confirme antes del {{dueDate}}.',
		stop: 'No volveremos a intentar este cobro automáticamente. Le rogamos que pague la factura usted mismo.',
	},
	linkLabel: {
		retry: 'Ver factura',
		requestPaymentMethod: 'Actualizar método de pago',
		requestAuthentication: 'Confirmar pago',
		stop: 'Pagar factura',
	},
	linkFallback: 'Si el botón no funciona, abra esta dirección: {{link}}',
	securityNote: 'El enlace abre una página segura alojada por Stripe, nuestro proveedor de pagos. Nunca vemos los datos de su tarjeta.',
	closing: 'Gracias,\n{{merchantName}}',
};
