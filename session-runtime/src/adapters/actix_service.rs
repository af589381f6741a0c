//! What the actix-web middleware of this crate share: the bound on the
//! services they wrap, the boxed future they answer with, and the macro that
//! writes their `Transform` and `Service` impls.

use core::future::Future;
use core::pin::Pin;

use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::Error;

/// The inner services the middleware of this crate wrap.
pub(crate) trait Inner<B>:
    Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static
{
}

impl<S, B> Inner<B> for S where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static
{
}

/// What the services of this crate's middleware answer: the inner body, or
/// their own (a `403`, `413` or `500`).
pub(crate) type Reply<B> =
    Pin<Box<dyn Future<Output = Result<ServiceResponse<EitherBody<B>>, Error>>>>;

/// The `Transform` impl of middleware `$middleware<T>`, whose service
/// `$service<S, T>` is built by `$make` (from `$this`, the middleware, and
/// `$inner`, the wrapped service), and that service's `Service` impl: ready
/// when its inner `service` is, it hands each request to its own `handle`.
macro_rules! actix_middleware {
    ($middleware:ident => $service:ident, |$this:ident, $inner:ident| $make:expr) => {
        $crate::adapters::actix_service::actix_middleware!(
            $middleware: $crate::CookieSession => $service, |$this, $inner| $make
        );
    };
    ($middleware:ident: $bound:path => $service:ident, |$this:ident, $inner:ident| $make:expr) => {
        impl<S, B, T> actix_web::dev::Transform<S, actix_web::dev::ServiceRequest>
            for $middleware<T>
        where
            // Whatever the service answers, the middleware does.
            $service<S, T>: actix_web::dev::Service<
                actix_web::dev::ServiceRequest,
                Response = actix_web::dev::ServiceResponse<B>,
                Error = actix_web::Error,
            >,
            T: $bound,
        {
            type Response = actix_web::dev::ServiceResponse<B>;
            type Error = actix_web::Error;
            type Transform = $service<S, T>;
            type InitError = ();
            type Future = core::future::Ready<Result<Self::Transform, Self::InitError>>;

            fn new_transform(&self, $inner: S) -> Self::Future {
                let $this = self;
                core::future::ready(Ok($make))
            }
        }

        impl<S, B, T> actix_web::dev::Service<actix_web::dev::ServiceRequest> for $service<S, T>
        where
            S: actix_web::dev::Service<
                    actix_web::dev::ServiceRequest,
                    Response = actix_web::dev::ServiceResponse<B>,
                    Error = actix_web::Error,
                > + 'static,
            B: actix_web::body::MessageBody + 'static,
            T: $bound,
        {
            type Response = actix_web::dev::ServiceResponse<actix_web::body::EitherBody<B>>;
            type Error = actix_web::Error;
            type Future = $crate::adapters::actix_service::Reply<B>;

            actix_web::dev::forward_ready!(service);

            fn call(&self, request: actix_web::dev::ServiceRequest) -> Self::Future {
                self.handle(request)
            }
        }
    };
}
pub(crate) use actix_middleware;
