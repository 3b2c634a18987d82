// The draft quality's surface shader: the diffuse and ambient terms of Bevy's PBR shader
// (Burley diffuse, GGX specular, the ambient light's split-sum approximation) under the
// view's directional lights, then fog, tonemapping and dither as the PBR shader ends.
// A software renderer pays for every instruction of a shader on every pixel, branches
// not taken included; this one is a few dozen.
#import bevy_pbr::{
    forward_io::{VertexOutput, FragmentOutput},
    mesh_view_bindings::{view, lights},
}
#import bevy_render::maths::PI
#ifdef DISTANCE_FOG
#import bevy_pbr::{pbr_functions::apply_fog, mesh_view_bindings::fog}
#endif
#import drivegen::lean_output::finish

// rgb: diffuse albedo (linear); a: perceptual roughness.
@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> diffuse: vec4<f32>;
// rgb: specular reflectance at normal incidence (F0); a: specular occlusion.
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var<uniform> specular: vec4<f32>;

// The split-sum environment BRDF's scale and bias (the polynomial Bevy uses without a LUT).
fn env_brdf(perceptual_roughness: f32, n_dot_v: f32) -> vec2<f32> {
    let c0 = vec4<f32>(-1.0, -0.0275, -0.572, 0.022);
    let c1 = vec4<f32>(1.0, 0.0425, 1.04, -0.04);
    let r = perceptual_roughness * c0 + c1;
    let a004 = min(r.x * r.x, exp2(-9.28 * n_dot_v)) * r.x + r.y;
    return max(vec2<f32>(-1.04, 1.04) * a004 + r.zw, vec2<f32>(0.00005));
}

fn schlick(f90: f32, cos_angle: f32) -> f32 {
    return 1.0 + (f90 - 1.0) * pow(1.0 - cos_angle, 5.0);
}

// Burley's diffuse: rough surfaces brighten towards grazing light and view.
fn burley(roughness: f32, n_dot_l: f32, n_dot_v: f32, l_dot_h: f32) -> f32 {
    let f90 = 0.5 + 2.0 * roughness * l_dot_h * l_dot_h;
    return schlick(f90, n_dot_l) * schlick(f90, n_dot_v) / PI;
}

// GGX distribution times the height-correlated Smith visibility.
fn ggx(roughness: f32, n_dot_h: f32, n_dot_v: f32, n_dot_l: f32) -> f32 {
    let a = n_dot_h * roughness;
    let k = roughness / (1.0 - n_dot_h * n_dot_h + a * a);
    let a2 = roughness * roughness;
    let lambda_v = n_dot_l * sqrt((n_dot_v - a2 * n_dot_v) * n_dot_v + a2);
    let lambda_l = n_dot_v * sqrt((n_dot_l - a2 * n_dot_l) * n_dot_l + a2);
    return k * k / PI * 0.5 / (lambda_v + lambda_l);
}

@fragment
fn fragment(in: VertexOutput) -> FragmentOutput {
    var n = normalize(in.world_normal);
    let v = normalize(view.world_position.xyz - in.world_position.xyz);
    let n_dot_v = max(dot(n, v), 0.0001);
    let ab_diffuse = env_brdf(1.0, n_dot_v);
    let ab_specular = env_brdf(diffuse.a, n_dot_v);
    let ambient = diffuse.rgb * ab_diffuse.x + ab_diffuse.y
        + (specular.rgb * ab_specular.x + ab_specular.y) * specular.a;
    var light = ambient * lights.ambient_color.rgb;
    let roughness = clamp(diffuse.a, 0.089, 1.0) * clamp(diffuse.a, 0.089, 1.0);
    // Energy lost to single scattering, given back (as Bevy's multiscatter term).
    let multiscatter = 1.0 + specular.rgb * (1.0 / (ab_specular.x + ab_specular.y) - 1.0);
    for (var i = 0u; i < lights.n_directional_lights; i++) {
        let sun = lights.directional_lights[i];
        let l = sun.direction_to_light;
        let h = normalize(l + v);
        let n_dot_l = saturate(dot(n, l));
        let n_dot_h = saturate(dot(n, h));
        let l_dot_h = saturate(dot(l, h));
        let fresnel = specular.rgb + (specular.a - specular.rgb) * pow(1.0 - l_dot_h, 5.0);
        let lobe = ggx(roughness, n_dot_h, n_dot_v, n_dot_l) * fresnel * multiscatter;
        let scatter = diffuse.rgb * burley(roughness, n_dot_l, n_dot_v, l_dot_h);
        light += (scatter + lobe) * sun.color.rgb * n_dot_l;
    }
    var color = vec4(light * view.exposure, 1.0);
#ifdef DISTANCE_FOG
    color = apply_fog(fog, color, in.world_position.xyz, view.world_position.xyz, in.position.xy);
#endif
    var out: FragmentOutput;
    out.color = finish(color, in.position.xy);
    return out;
}
